"""Form fields every app uses."""

from django import forms


class MultilineField(forms.CharField):
    """Text from a <textarea>, each line break stored as one "\\n".

    Browsers send a textarea's line breaks as CRLF, yet count each as one
    character against its `maxlength`: without this, text typed up to the limit
    is refused as too long, and a page saved unchanged from the admin reads as
    changed in its history.
    """

    widget = forms.Textarea

    def to_python(self, value):
        text = super().to_python(value)
        if isinstance(text, str):
            return text.replace("\r\n", "\n").replace("\r", "\n")
        return text
