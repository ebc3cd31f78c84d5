"""The catalogue page in a real headless Chromium: documented, flowing, undocumented, problems."""

from __future__ import annotations

import pytest

from tests.browser import (  # noqa: F401 - fixtures used by name
    chromium_fixture,
    envelope_event,
    feed,
    probe_fixture,
    serve_fixture,
)
from tests.conftest import wait_until
from tests.test_specs_registry import spec_yaml, write

pytestmark = pytest.mark.browser
HOSTILE = '<img src=x onerror="alert(1)">'


def test_catalogue_page(serve, probe, tmp_path):
    write(tmp_path, "spec/schemas/flowing.yaml", spec_yaml("cat.flowing.happened").replace(
        "summary: cat.flowing.happened happened", f"summary: '{HOSTILE}'"))
    write(tmp_path, "spec/schemas/silent.yaml", spec_yaml("cat.silent.happened"))
    write(tmp_path, "spec/auto/liar.yaml", spec_yaml("cat.liar.happened", {
        "flag": {"type": "string", "const": True}}))
    served = serve({"QUEUES": ["unused"], "SPEC_DIRS": [str(tmp_path)]})
    served.viewer.specs.start()
    feed(served.viewer, envelope_event("cat.flowing.happened"))
    feed(served.viewer, envelope_event(HOSTILE))
    page = probe.page
    page.goto(served.url + "/catalogue")
    page.wait_for_selector("#cat-specs details.spec")
    entries = page.locator("#cat-specs details.spec")
    assert entries.count() == 3
    flowing = page.locator('details[data-event-type="cat.flowing.happened"]')
    assert "flowing: 1" in flowing.inner_text()
    assert HOSTILE in flowing.locator("summary").inner_text()  # shown as text, not markup
    assert "silent" in page.locator('details[data-event-type="cat.silent.happened"]').inner_text()
    liar = page.locator('details[data-event-type="cat.liar.happened"]')
    assert "auto-discovered" in liar.inner_text() and "2 problems" in liar.inner_text()
    liar.locator("summary").click()
    assert "const-type-conflict" in liar.inner_text()
    assert "/additionalInformation/flag" in liar.inner_text()
    undocumented = page.locator("#cat-undocumented tbody")
    assert HOSTILE in undocumented.inner_text()
    problems = page.locator("#cat-problems").inner_text()
    assert "liar.yaml" in problems and "example-fails-payload" in problems
    assert page.locator("img").count() == 0 and probe.dialogs == []

    # Filters, the reload button and a drafted spec for an undocumented type.
    page.check("#cat-only-problems")
    wait_until(lambda: entries.count() == 1, message="only the liar")
    page.click("#cat-reload")
    wait_until(lambda: "reloaded: 3 specs" in page.inner_text("#cat-status"),
               message="reload status")
    page.click("#cat-undocumented button.draft")
    page.wait_for_selector("#cat-undocumented pre.draft")
    drafted = page.inner_text("#cat-undocumented pre.draft")
    assert "contentType: application/json" in drafted and "onerror" in drafted
    assert page.locator("img").count() == 0 and probe.dialogs == []
