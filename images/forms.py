from django import forms
from django.utils.translation import gettext_lazy as _

from images.models import Image


class ImageForm(forms.ModelForm):
    """Mirrors the database's rule with an error next to the field."""

    class Meta:
        model = Image
        fields = ["file", "alt_text", "decorative", "caption", "credit"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("decorative") and not (cleaned.get("alt_text") or "").strip():
            self.add_error(
                "alt_text",
                _("Describe the image for people who cannot see it, or mark it decorative."),
            )
        return cleaned
