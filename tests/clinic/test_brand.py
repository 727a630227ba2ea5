"""The clinic's colours come from clinic/brand.py, and read well wherever they are used."""

import re
from pathlib import Path

import pytest

from clinic import brand
from clinic.brand import COLOURS, NON_TEXT_ON, TEXT_ON

ROOT = Path(__file__).resolve().parents[2]


def relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_wcag_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1)


@pytest.mark.parametrize(
    ("text", "surface"), [(t, s) for s, texts in TEXT_ON.items() for t in texts]
)
def test_text_colour_reads_at_4_5_to_1_on_its_surface(text, surface):
    assert contrast(COLOURS[text], COLOURS[surface]) >= 4.5


@pytest.mark.parametrize(
    ("part", "surface"), [(p, s) for s, parts in NON_TEXT_ON.items() for p in parts]
)
def test_control_borders_and_focus_rings_meet_3_to_1_on_their_surface(part, surface):
    assert contrast(COLOURS[part], COLOURS[surface]) >= 3


def test_committed_sass_tokens_match_brand_module():
    committed = (ROOT / "assets/scss/_tokens.scss").read_text(encoding="utf-8")
    assert committed == brand.scss_tokens(), "assets/scss/_tokens.scss is stale: run make css"


def test_committed_admin_accents_match_brand_module():
    committed = (ROOT / "static/css/admin-brand.css").read_text(encoding="utf-8")
    assert committed == brand.admin_css(), "static/css/admin-brand.css is stale: run make css"


def test_built_stylesheet_uses_brand_colours_for_controls_and_ticks():
    css = (ROOT / "static/css/clinic.css").read_text(encoding="utf-8")
    for name in ("brand", "control", "focus", "danger"):
        assert re.search(rf"--clinic-{name}: ?{COLOURS[name]}[;}}]", css), name
    control_rule = re.search(r"\.form-control\{[^}]*\}", css).group(0)
    assert f"border:var(--bs-border-width) solid {COLOURS['control']}" in control_rule
    checked = re.search(r"\.form-check-input:checked\{[^}]*\}", css).group(0)
    assert COLOURS["brand"] in checked


def test_no_colour_in_our_stylesheets_meets_the_eye_without_passing_through_brand():
    """Our own CSS files name the brand's colours by custom property, not by value."""
    for path in (ROOT / "assets/css").glob("*.css"):
        text = path.read_text(encoding="utf-8")
        for value in COLOURS.values():
            assert value not in text.lower(), f"{path.name} repeats {value}: use var(--clinic-…)"
