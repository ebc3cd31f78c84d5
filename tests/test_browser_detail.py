"""One message in a real headless Chromium: errors at their pointers, tabs, actions, keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import chromium_fixture, envelope_event, feed, probe_fixture, serve_fixture  # noqa: F401
from viewer.message import Validation

pytestmark = pytest.mark.browser


def broken(served):
    """A message missing ``version`` whose ``occurredAt`` is not a date-time."""
    body = envelope_event("prison.prisoner.received", occurredAt="yesterday-ish")
    del body["version"]
    return feed(served.viewer, body)


def test_errors_are_highlighted_at_their_pointers_and_listed(serve, probe):
    served = serve()
    feed(served.viewer, envelope_event())
    m = broken(served)
    page = probe.open(served)
    page.locator(f'#list .row[data-seq="{m.seq}"] .cell.type').click()
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#detail-badge")).to_have_text("invalid")
    assert f"seq={m.seq}" in page.url  # a permalink
    errors = page.locator("#panel-body .errors li")
    expect(errors).to_have_count(2)
    expect(page.locator("#panel-body .errors")).to_contain_text("/occurredAt")
    expect(page.locator("#panel-body .errors")).to_contain_text("/version")
    # the bad value is marked where it is; the missing member at its parent (the root)
    occurred = page.locator('#panel-body .j-member[data-pointer="/occurredAt"]')
    expect(occurred).to_have_class("j-member j-error")
    expect(occurred.locator(".j-note")).to_contain_text("date-time")
    root = page.locator('#panel-body .j-member.j-root[data-pointer=""]')
    expect(root).to_have_class("j-member j-root j-error")
    expect(root.locator(".j-note").first).to_contain_text("missing /version")
    # every value node carries its pointer
    expect(page.locator('#panel-body .j-value[data-pointer="/personReference/identifiers/0/value"]'
                        )).to_have_text('"A1234BC"')
    # clicking an error scrolls to it and flashes it
    page.locator("#panel-body .error-item", has_text="/occurredAt").click()
    expect(occurred).to_have_class("j-member j-error flash")


def test_spec_faults_are_labelled_as_the_specs_fault(serve, probe):
    served = serve()
    body = envelope_event("prison.prisoner.received")
    message = feed(served.viewer, body)
    error = {"schema": "spec", "pointer": "/additionalInformation/prisonId",
             "message": "'MDI' does not match '^[0-9]+$'", "keyword": "pattern",
             "schemaPath": "/properties/additionalInformation", "specFault": True}
    message.validation = Validation("invalid", (error,),
                                    {"name": "prison.prisoner.received", "path": "x.yml"})
    page = probe.open(served, f"/?seq={message.seq}")
    expect(page.locator(f'#list .row[data-seq="{message.seq}"] .badge')).to_have_text("spec fault")
    expect(page.locator("#detail-badge")).to_have_text("spec fault")
    expect(page.locator(".spec-fault-banner")).to_have_text(
        "spec fault: fix the spec, not the publisher")
    line = page.locator('#panel-body .j-member[data-pointer="/additionalInformation/prisonId"]')
    expect(line).to_have_class("j-member j-error j-spec-fault")


def test_tabs_show_envelope_raw_spec_and_timings(serve, probe):
    served = serve()
    m = feed(served.viewer, envelope_event(occurredAt="2020-01-01T00:00:00Z"))
    page = probe.open(served, f"/?seq={m.seq}")
    expect(page.locator("#detail-title")).to_have_text("prison-offender-events.prisoner.received")
    page.get_by_role("tab", name="Envelope & attributes").click()
    envelope = page.locator("#panel-envelope")
    expect(envelope).to_contain_text("arn:aws:sns:eu-west-2:000000000000:hmpps-domain-events")
    expect(envelope).to_contain_text("Message attributes (1)")
    page.get_by_role("tab", name="Raw").click()
    expect(page.locator("#panel-raw pre")).to_have_text(m.raw)
    page.get_by_role("tab", name="Spec").click()
    expect(page.locator("#panel-spec")).to_contain_text("only the envelope was checked")
    page.get_by_role("tab", name="Timings").click()
    timings = page.locator("#panel-timings")
    expect(timings.locator("li")).to_have_count(3)
    expect(timings).to_contain_text("occurredAt")
    expect(timings).to_contain_text("publishedAt")
    expect(timings.locator(".total-delay")).to_contain_text("occurred -> received")
    # arrow keys move between tabs
    page.get_by_role("tab", name="Timings").press("ArrowLeft")
    expect(page.get_by_role("tab", name="Spec")).to_have_attribute("aria-selected", "true")


def test_truncated_message_is_fetched_whole(serve, probe):
    served = serve({"DISPLAY_LIMIT": 300})
    big = envelope_event(additionalInformation={"notes": "x" * 2000, "last": "the end"})
    m = feed(served.viewer, big)
    page = probe.open(served)
    probe.wait_seqs([m.seq])
    assert page.evaluate("window.viewerApp.model.items[0].truncated") is True
    page.locator(f'#list .row[data-seq="{m.seq}"] .cell.type').click()
    expect(page.locator('#panel-body .j-value[data-pointer="/additionalInformation/last"]')
           ).to_have_text('"the end"')


def test_download_is_a_validate_ready_notification(serve, probe):
    served = serve()
    m = broken(served)
    page = probe.open(served, f"/?seq={m.seq}")
    expect(page.locator("#detail-badge")).to_have_text("invalid")
    with page.expect_download() as info:
        page.locator("#download").click()
    download = info.value
    assert download.suggested_filename == f"prison.prisoner.received-{m.seq}.json"
    notification = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert notification["Type"] == "Notification"
    assert notification["Message"] == m.raw  # the text exactly as published
    assert notification["MessageAttributes"]["eventType"]["Value"] == "prison.prisoner.received"
    draft = page.get_by_role("link", name="Draft a spec from this")
    expect(draft).to_have_attribute("href", f"/api/messages/{m.seq}/spec-draft")


def test_keyboard_moves_opens_and_closes(serve, probe):
    served = serve()
    seqs = [feed(served.viewer, envelope_event(noms=f"K{i}000KK")).seq for i in range(3)]
    page = probe.open(served)
    probe.wait_seqs(seqs[::-1])
    page.locator("body").press("/")
    expect(page.locator("#f-q")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("#list .row.selected")).to_have_attribute("data-seq", str(seqs[1]))
    page.keyboard.press("Enter")
    expect(page.locator("#detail")).to_be_visible()
    assert f"seq={seqs[1]}" in page.url
    page.keyboard.press("k")  # with the detail open, moving opens the next one
    expect(page.locator(".meta-item").first).to_contain_text(str(seqs[2]))
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()


def test_theme_toggle_switches_and_is_remembered(serve, probe):
    served = serve()
    page = probe.open(served)
    toggle = page.locator("#theme")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")


def test_copy_body_and_validate_file(serve, probe):
    served = serve()
    m = feed(served.viewer, envelope_event())
    probe.page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                         origin=served.url)
    page = probe.open(served, f"/?seq={m.seq}")
    expect(page.locator("#detail-badge")).to_have_text("valid")
    page.locator("#copy-body").click()
    expect(page.locator(".toast")).to_have_text("Body copied")
    assert json.loads(page.evaluate("navigator.clipboard.readText()")) == json.loads(m.raw)
    page.locator("#copy-validate").click()
    expect(page.locator(".toast").last).to_contain_text("validate")
    copied = json.loads(page.evaluate("navigator.clipboard.readText()"))
    assert copied["Message"] == m.raw and copied["Type"] == "Notification"
