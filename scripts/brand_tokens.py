"""Write the files generated from clinic/brand.py: the Sass tokens and the admin's accents.

Run by `make css` (with an output folder by `make css-check`); plain Python,
no Django needed. tests/clinic/test_brand.py fails when the committed files
disagree with brand.py.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clinic.brand import admin_css, scss_tokens  # noqa: E402

TOKENS = Path("assets/scss/_tokens.scss")
ADMIN_CSS = Path("static/css/admin-brand.css")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="write under this folder")
    root = parser.parse_args().root
    for path, text in ((TOKENS, scss_tokens()), (ADMIN_CSS, admin_css())):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
