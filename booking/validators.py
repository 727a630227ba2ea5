"""Checks that the patient's forms and the staff's forms make alike."""

from django.core.validators import RegexValidator

phone_validator = RegexValidator(
    r"^(?=(?:\D*\d){7,20}\D*$)[0-9 +()\-]+$",
    "Enter a phone number of 7 to 20 digits (spaces, +, brackets and hyphens are fine).",
)
