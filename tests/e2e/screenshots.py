"""Full-page pictures of what a browser test saw, for a person to look at.

Taken only when E2E_SCREENSHOTS names a folder: encoding full-page PNGs costs
Chromium seconds per test, and nothing in the suite reads them back.
`make screenshots` takes the pictures committed in docs/screenshots/.
"""

import os
from pathlib import Path


def keep_screenshot(page, name: str) -> None:
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png", full_page=True)
