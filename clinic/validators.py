"""Names that are names: one line, no invisible tricks, at least one letter.

A name ends up in e-mail headers (the From name, subjects), calendar files
and staff screens. One carriage return in a treatment name makes every
e-mail about it fail, and a right-to-left override makes "Sam" read as
something else in the diary, so every name field in the project goes
through here, in patient forms and in admin alike.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models

# Line and paragraph separators are not "Cc" but break a header all the same.
_LINE_BREAKS = {"\u2028", "\u2029", "\x85"}


def strip_format_characters(value: str) -> str:
    """Drop invisible format characters (Unicode "Cf"): bidi overrides, zero-width spaces, BOMs."""
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf")


def tidy_name(value: str) -> str:
    """A name as stored: format characters gone, runs of spaces made one, ends trimmed.

    Line breaks inside are kept so that validate_single_line refuses them with
    a message instead of silently gluing two lines together.
    """
    return re.sub(" {2,}", " ", strip_format_characters(value)).strip()


def validate_single_line(value: str) -> None:
    if any(unicodedata.category(ch) == "Cc" or ch in _LINE_BREAKS for ch in value):
        raise ValidationError(
            "Use one line without control characters (such as line breaks or tabs).",
            code="control_characters",
        )


def validate_has_letter(value: str) -> None:
    if value and not any(ch.isalpha() for ch in value):
        raise ValidationError("A name needs at least one letter.", code="no_letter")


def single_line(value: str) -> str:
    """Any text made safe for one header line (for values stored before the validators)."""
    cleaned = "".join(
        " " if unicodedata.category(ch) == "Cc" or ch in _LINE_BREAKS else ch
        for ch in strip_format_characters(value)
    )
    return " ".join(cleaned.split())


class NameField(models.CharField):
    """A CharField for names of people, treatments and the clinic.

    Tidied in to_python, which model validation (and so every admin form)
    runs before saving, and refused with a readable message when it holds
    control characters or no letter at all.
    """

    default_validators = [validate_single_line, validate_has_letter]

    def to_python(self, value):
        value = super().to_python(value)
        return tidy_name(value) if isinstance(value, str) else value
