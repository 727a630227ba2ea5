"""Shared form fields."""

import pytest
from django.core.exceptions import ValidationError

from clinic.forms import MultilineField


def test_each_line_break_a_browser_sends_is_stored_as_one_newline():
    assert MultilineField().clean("Sore knee\r\nsince May\rworse on stairs\n") == (
        "Sore knee\nsince May\nworse on stairs"
    )


def test_a_line_break_counts_once_against_the_length_limit_as_in_the_browser():
    field = MultilineField(max_length=5)
    assert field.clean("ab\r\ncd") == "ab\ncd"
    with pytest.raises(ValidationError):
        field.clean("ab\r\ncde")
