"""Export and hostile filter values in a real headless Chromium."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.browser import chromium_fixture, envelope_event, feed, probe_fixture, serve_fixture  # noqa: F401

pytestmark = pytest.mark.browser

IMG = '<img src=x onerror="alert(1)">'
SCRIPT = "</script><script>alert(2)</script>"


def export(page, fmt: str) -> tuple[str, str]:
    if not page.locator("#export").evaluate("el => el.open"):
        page.locator("#export summary").click()
    with page.expect_download() as info:
        page.get_by_role("link", name=fmt.upper(), exact=True).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8")


def test_export_downloads_what_the_filter_shows(serve, probe):
    served = serve()
    keep = [feed(served.viewer, envelope_event("wanted.type", noms=f"E{i}000EE")) for i in range(3)]
    feed(served.viewer, envelope_event("other.type"))
    bad = envelope_event("wanted.type", description="=HYPERLINK(\"http://x\")")
    del bad["version"]
    keep.append(feed(served.viewer, bad))
    page = probe.open(served, "/?eventType=wanted.type")
    probe.wait_seqs([m.seq for m in reversed(keep)])

    name, text = export(page, "json")
    assert name.endswith(".json")
    assert [m["seq"] for m in json.loads(text)] == [m.seq for m in reversed(keep)]
    assert json.loads(text)[0]["raw"] == keep[-1].raw  # whole messages

    name, text = export(page, "ndjson")
    assert name.endswith(".ndjson")
    assert [json.loads(line)["seq"] for line in text.splitlines()] == [m.seq for m in
                                                                       reversed(keep)]

    page.locator("#f-status").get_by_role("button", name="invalid").click()
    probe.wait_seqs([keep[-1].seq])
    name, text = export(page, "csv")
    assert name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["seq"]) for r in rows] == [keep[-1].seq]
    assert rows[0]["status"] == "invalid" and "/version" in rows[0]["errors"]
    assert rows[0]["persons"] == "NOMS:A1234BC"


def test_hostile_filter_values_stay_text(serve, probe):
    """Filter values come from links anyone can send: chips, inputs and errors show text."""
    served = serve()
    feed(served.viewer, envelope_event())
    query = urlencode([("eventType", IMG), ("excludeEventType", SCRIPT), ("person", IMG),
                       ("q", SCRIPT), ("source", IMG)])
    page = probe.open(served, f"/?{query}")
    chips = page.locator("#active-filters")
    expect(chips).to_contain_text(IMG)
    expect(chips).to_contain_text(SCRIPT)
    expect(page.locator("#f-q")).to_have_value(SCRIPT)
    expect(page.locator('#type-list .type-row[data-type="' + IMG.replace('"', '\\"') + '"]')
           ).to_have_count(1)
    page.goto(served.url + "/?" + urlencode([("status", IMG)]))
    expect(page.locator("#filter-error")).to_contain_text(IMG)
    # a saved filter named with markup
    page.locator("#saved summary").click()
    page.locator("#save-name").fill(IMG)
    page.locator("#save-name").press("Enter")
    expect(page.locator("#saved-list")).to_contain_text(IMG)
    assert page.locator("img").count() == 0
    assert page.locator("script:not([src])").count() == 0
    assert probe.dialogs == []
