"""Every public page type and booking step is valid HTML for the W3C Nu HTML checker.

The pages are collected as Chromium receives them (the server's bytes, not the
DOM after parsing), JavaScript off, then checked in one run of vnu.jar (npm's
vnu-jar, installed by `make test` with the other build tools; Java 17+).
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.site_tour import PUBLIC_PAGES, booking_tour, load_whole_demo

pytestmark = pytest.mark.django_db(transaction=True)

VNU = Path(__file__).resolve().parents[2] / "tools/node_modules/vnu-jar/build/dist/vnu.jar"
# One short run: the quick compiler and one garbage-collector thread spend far
# less CPU than the JVM's defaults, which tune for long-lived servers; the
# checker's schema needs a deeper stack than the quick compiler leaves it.
JAVA_OPTIONS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss2m"]


def collect_documents(context):
    """The HTML documents the browser receives, as (address, bytes), read as they arrive."""
    pending, documents = [], []
    context.on(
        "response",
        lambda response: response.request.resource_type == "document" and pending.append(response),
    )

    def flush(name: str) -> None:
        # The page on screen: the last document that is not a redirect (the body of
        # one the tour walked past is gone, and the tour names each page it stops on).
        shown = [r for r in pending if not 300 <= r.status < 400]
        if shown and "text/html" in (shown[-1].headers.get("content-type") or ""):
            documents.append((f"{name} ({shown[-1].url})", shown[-1].body()))
        pending.clear()

    return documents, flush


def run_vnu(files: list[Path]) -> list[dict]:
    java = shutil.which("java")
    assert java, "The HTML checker needs Java 17+: make test installs it"
    assert VNU.exists(), "The HTML checker is missing: run make tools (make test does)"
    result = subprocess.run(
        [
            java,
            *JAVA_OPTIONS,
            *("-jar", str(VNU), "--errors-only", "--format", "json", "--exit-zero-always"),
            *(str(f) for f in files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(result.stderr or '{"messages": []}')["messages"]


def test_every_page_type_and_booking_step_has_no_html_checker_errors(
    live_server, browser, clinic, settings, tmp_path
):
    load_whole_demo(settings)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    documents, flush = collect_documents(context)

    for name, path in PUBLIC_PAGES.items():
        page.goto(live_server.url + path)
        flush(name)
    for step in booking_tour(page, live_server.url):
        flush(step)
    context.close()

    names = {}
    for n, (name, body) in enumerate(documents):
        file = tmp_path / f"{n:02}-{re.sub(r'[^a-z0-9]+', '-', name.lower())[:60]}.html"
        file.write_bytes(body)
        names[file.name] = name
    assert len(documents) >= len(PUBLIC_PAGES) + 13

    errors = [
        f"{names.get(Path(m.get('url', '')).name, m.get('url'))} line {m.get('lastLine')}: "
        f"{m['message']}"
        for m in run_vnu(sorted(tmp_path.glob("*.html")))
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]
    assert errors == [], "The Nu HTML checker found errors:\n" + "\n".join(errors)
