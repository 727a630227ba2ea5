"""The clinic's colours: the one list the stylesheet, the e-mails, the admin
and the generated social cards all take their colours from.

`make css` writes the stylesheet's Sass tokens and the admin's accents from
this module (scripts/brand_tokens.py); a test fails when the committed files
disagree with it, and another computes the contrast ratios promised below.
"""

# Each pair of text and surface meets WCAG AA (4.5:1); form-control borders,
# the brand colour and focus rings meet 3:1 against the surfaces they sit on
# (WCAG 1.4.11). `line` is for decorative separators only (card edges,
# rules), which 1.4.11 leaves free; anything a person must see to use a
# control is drawn in `control`, `brand` or `focus`.
COLOURS = {
    "brand": "#0d5c55",
    "brand-dark": "#083f3a",
    "on-brand": "#ffffff",
    "ink": "#1f2a30",
    "muted": "#4a5a62",
    "surface": "#ffffff",
    "soft": "#eef6f4",
    "line": "#d5e3df",
    "control": "#667780",
    "focus": "#b8460b",
    "focus-on-dark": "#ffd08a",
    "danger": "#a3151b",
}

# The text colours promised to read at 4.5:1 on each surface (WCAG 1.4.3),
# and the non-text colours promised 3:1 (WCAG 1.4.11); tests/clinic/test_brand.py
# computes every pair.
TEXT_ON = {
    "surface": ("ink", "muted", "brand", "brand-dark", "danger", "focus"),
    "soft": ("ink", "muted", "brand", "brand-dark", "danger", "focus"),
    "brand": ("on-brand",),
    "brand-dark": ("on-brand", "focus-on-dark"),
}
NON_TEXT_ON = {
    "surface": ("control", "brand", "focus", "danger"),
    "soft": ("control", "brand", "focus", "danger"),
    "brand-dark": ("focus-on-dark",),
}

GENERATED_NOTE = "Generated from clinic/brand.py by `make css`: edit brand.py, not this file."


def colour(name: str) -> str:
    return COLOURS[name]


def scss_tokens() -> str:
    """The Sass partial the stylesheet's entry file uses (assets/scss/_tokens.scss)."""
    lines = [f"// {GENERATED_NOTE}", ""]
    lines += [f"${name}: {value};" for name, value in COLOURS.items()]
    lines += ["", "$colours: ("]
    lines += [f'  "{name}": ${name},' for name in COLOURS]
    lines += [");", ""]
    return "\n".join(lines)


def admin_css() -> str:
    """Django admin's accents in the clinic's colours (static/css/admin-brand.css).

    Backgrounds with white text read in the admin's light and dark themes
    alike; the link colours are the light theme's only, since the brand's dark
    teal would not read on the dark theme's background.
    """
    c = COLOURS
    accents = {
        "--primary": c["brand"],
        "--secondary": c["brand-dark"],
        "--accent": c["focus-on-dark"],
        "--primary-fg": c["on-brand"],
        "--header-color": c["on-brand"],
        "--header-branding-color": c["on-brand"],
        "--header-link-color": c["on-brand"],
        "--breadcrumbs-bg": c["brand"],
        "--breadcrumbs-fg": c["on-brand"],
        "--breadcrumbs-link-fg": c["on-brand"],
        "--button-bg": c["brand"],
        "--button-hover-bg": c["brand-dark"],
        "--default-button-bg": c["brand-dark"],
        "--default-button-hover-bg": c["brand"],
    }
    links = {
        "--link-fg": c["brand"],
        "--link-hover-color": c["brand-dark"],
        "--link-selected-fg": c["brand-dark"],
    }

    def block(selector: str, values: dict[str, str], indent: str = "") -> list[str]:
        body = [f"{indent}  {name}: {value};" for name, value in values.items()]
        return [f"{indent}{selector} {{", *body, f"{indent}}}"]

    lines = [f"/* {GENERATED_NOTE} */", ""]
    lines += block(":root", accents)
    lines += ["", "@media (prefers-color-scheme: light) {"]
    lines += block(':root:not([data-theme="dark"])', links, indent="  ")
    lines += ["}", ""]
    lines += block('html[data-theme="light"]', links)
    lines += [""]
    return "\n".join(lines)
