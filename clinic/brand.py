"""The clinic's colours: the one list the stylesheet, the e-mails, the admin
and the generated social cards all take their colours from."""

# Each pair of text and surface meets WCAG AA (4.5:1); borders and focus rings
# meet 3:1 against the surfaces they sit on (WCAG 1.4.11).
COLOURS = {
    "brand": "#0d5c55",
    "brand-dark": "#083f3a",
    "ink": "#1f2a30",
    "muted": "#4a5a62",
    "surface": "#ffffff",
    "soft": "#eef6f4",
    "line": "#d5e3df",
    "focus": "#b8460b",
}
