#!/usr/bin/env python3
# ruff: noqa: S603 - runs our own fixed command (npm's lighthouse) locally
"""Lighthouse's four scores for the pages that matter, on a phone and a desktop.

    make run PORT=8000 &            # the site as the demo serves it
    make lighthouse                 # or: scripts/lighthouse.py --base http://127.0.0.1:8000

Runs npm's lighthouse (tools/lighthouse, installed by `make lighthouse`) with
Debian's Chromium, headless, once per page and form factor (mobile with
Lighthouse's simulated slow 4G and CPU; desktop with its desktop preset), and
prints a Markdown table of the performance, accessibility, best-practices and
SEO scores. Figures, not a test: docs/benchmarks.md records them.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "tools" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
PAGES = {
    "home": "/",
    "dry-needling article": "/articles/dry-needling-explained/",
    "service page": "/services/dry-needling/",
    "team": "/team/",
    "booking start": "/book/",
    "booking time": "/book/time/?treatment=physiotherapy&practitioner=maya-okafor",
}
# Kept out of search engines on purpose (its times change by the minute): the
# SEO category is scored without its "page is blocked from indexing" audit.
NOINDEX = {"booking time"}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"


def scores(url: str, form_factor: str, out: Path, *, noindex: bool = False) -> dict[str, int]:
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    if noindex:
        command.append("--skip-audits=is-crawlable")
    env = {**os.environ, "CHROME_PATH": CHROME}
    # Lighthouse sometimes loses its trace on a busy machine (NO_NAVSTART) and
    # asks to be run again: once more, then give up.
    if subprocess.run(command, env=env, timeout=300).returncode != 0:
        subprocess.run(command, check=True, env=env, timeout=300)
    report = json.loads(out.read_text(encoding="utf-8"))
    return {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="a running `make run`")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("lighthouse is missing: make lighthouse installs it (tools/lighthouse)")

    rows = []
    with tempfile.TemporaryDirectory(prefix="clinic-lighthouse-") as folder:
        for form_factor in ("mobile", "desktop"):
            for name, path in PAGES.items():
                result = scores(
                    args.base + path,
                    form_factor,
                    Path(folder) / "report.json",
                    noindex=name in NOINDEX,
                )
                rows.append((name, path, form_factor, result))
                print(f"{form_factor:7} {path:40} {result}", file=sys.stderr)

    print("| page | form factor | performance | accessibility | best practices | SEO |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, path, form_factor, result in rows:
        values = " | ".join(str(result[name]) for name in CATEGORIES)
        note = " (noindex by design)" if name in NOINDEX else ""
        print(f"| {name} (`{path}`){note} | {form_factor} | {values} |")
    perfect = all(value == 100 for *_, result in rows for value in result.values())
    return 0 if perfect else 1


if __name__ == "__main__":
    sys.exit(main())
