from django import forms
from django.utils.translation import gettext_lazy as _

from images.models import Image


class LabelledFileInput(forms.ClearableFileInput):
    """Admin's file input, labelled by the field's own <label>.

    Django groups a clearable file input in a <fieldset> whose <legend> names
    the group but not the file input itself, which axe reports as an
    unlabelled control; without the fieldset the label points at the input.
    """

    use_fieldset = False


class ImageForm(forms.ModelForm):
    """Mirrors the database's rule with an error next to the field."""

    class Meta:
        model = Image
        fields = ["file", "alt_text", "decorative", "caption", "credit"]
        widgets = {"file": LabelledFileInput}

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("decorative") and not (cleaned.get("alt_text") or "").strip():
            self.add_error(
                "alt_text",
                _("Describe the image for people who cannot see it, or mark it decorative."),
            )
        return cleaned
