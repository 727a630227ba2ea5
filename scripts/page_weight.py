#!/usr/bin/env python3
"""What a first visit costs: bytes transferred and requests, measured in Chromium.

    make run PORT=8000 &
    make page-weight                # or: .venv/bin/python scripts/page_weight.py --base ...

Opens each page in a fresh browser context (empty cache, as a first visit),
waits until the network is idle, and adds up what Chromium's network layer
reports: every request the page made and the bytes each took on the wire
(headers and compressed body: DevTools' encodedDataLength). Fonts, images,
the stylesheet and scripts are all counted. Prints a Markdown table; the
targets are at most 100 KB in at most 8 requests (issue 11).
"""

import argparse
import sys

from playwright.sync_api import sync_playwright

PAGES = {
    "home": "/",
    "dry-needling article": "/articles/dry-needling-explained/",
}
PHONE = {"width": 390, "height": 844}
MAX_BYTES, MAX_REQUESTS = 100 * 1024, 8


def first_visit(browser, url: str) -> tuple[int, list[tuple[str, int]]]:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls, sizes = {}, {}
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.setdefault(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(500)
    context.close()
    requests = [(urls[rid], int(sizes.get(rid, 0))) for rid in urls]
    return sum(size for _, size in requests), requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="a running `make run`")
    parser.add_argument("--verbose", action="store_true", help="list every request")
    args = parser.parse_args()
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for name, path in PAGES.items():
            total, requests = first_visit(browser, args.base + path)
            rows.append((name, path, total, requests))
            if args.verbose:
                for url, size in requests:
                    print(f"  {size:>7} {url}", file=sys.stderr)
        browser.close()

    print("| page | requests | transferred | within 100 KB in 8 requests |")
    print("| --- | ---: | ---: | --- |")
    ok = True
    for name, path, total, requests in rows:
        fits = total <= MAX_BYTES and len(requests) <= MAX_REQUESTS
        ok &= fits
        verdict = "yes" if fits else "no"
        print(f"| {name} (`{path}`) | {len(requests)} | {total / 1024:.1f} KB | {verdict} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
