"""Filtering in a real headless Chromium: every filter runs on the server and lives in the URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import chromium_fixture, envelope_event, feed, probe_fixture, serve_fixture  # noqa: F401
from tests.conftest import wait_until

pytestmark = pytest.mark.browser


def open_menu(page, selector):
    if not page.locator(selector).evaluate("el => el.open"):
        page.locator(f"{selector} summary").click()


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def mixed(served) -> dict[str, int]:
    """Messages of three types, two sources, two people, valid and invalid."""
    v = served.viewer
    seqs = {}
    seqs["received"] = feed(v, envelope_event("prison.prisoner.received", noms="A1111AA")).seq
    seqs["released"] = feed(v, envelope_event("prison.prisoner.released", noms="B2222BB")).seq
    seqs["tier"] = feed(v, envelope_event("probation.tier.changed", noms="A1111AA",
                                          description="Tier changed to B2"),
                        source="probation-queue").seq
    bad = envelope_event("prison.prisoner.received", noms="B2222BB")
    del bad["version"]
    seqs["invalid"] = feed(v, bad).seq
    return seqs


def test_event_types_include_exclude_and_group_wildcards(serve, probe):
    served = serve()
    s = mixed(served)
    page = probe.open(served)
    probe.wait_seqs([4, 3, 2, 1])
    panel = page.locator("#type-list")
    received = panel.locator('.type-row[data-type="prison.prisoner.received"]')
    expect(received.locator(".count")).to_have_text("2")
    expect(received.locator(".bad-count")).to_have_text("1")  # invalid counts stand out
    # include one type
    panel.get_by_role("button", name="Include prison.prisoner.released").click()
    probe.wait_seqs([s["released"]])
    assert query(page)["eventType"] == ["prison.prisoner.released"]
    # include a second: both show
    panel.get_by_role("button", name="Include probation.tier.changed").click()
    probe.wait_seqs([s["tier"], s["released"]])
    # exclude instead: everything but it
    page.get_by_role("button", name="Reset filters").click()
    probe.wait_seqs([4, 3, 2, 1])
    panel.get_by_role("button", name="Exclude prison.prisoner.received").click()
    probe.wait_seqs([s["tier"], s["released"]])
    assert query(page)["excludeEventType"] == ["prison.prisoner.received"]
    # a whole group by prefix
    page.get_by_role("button", name="Reset filters").click()
    panel.get_by_role("button", name="Include prison.*").click()
    probe.wait_seqs([s["invalid"], s["released"], s["received"]])
    assert query(page)["eventType"] == ["prison.*"]
    # the active filter chip removes it again
    page.get_by_role("button", name="Remove type prison.*").click()
    probe.wait_seqs([4, 3, 2, 1])


def test_type_ahead_finds_and_includes_a_type(serve, probe):
    served = serve()
    s = mixed(served)
    page = probe.open(served)
    probe.wait_seqs([4, 3, 2, 1])
    search = page.locator("#type-search")
    search.fill("tier")
    expect(page.locator("#type-list .type-row:not([hidden])")).to_have_count(1)
    expect(page.locator('#type-list .type-group[data-group="prison"]')).to_be_hidden()
    search.press("Enter")
    probe.wait_seqs([s["tier"]])
    search.press("Shift+Enter")  # the same type, hidden instead
    probe.wait_seqs([s["invalid"], s["released"], s["received"]])


def test_status_source_text_and_time_filters(serve, probe):
    served = serve()
    s = mixed(served)
    page = probe.open(served)
    probe.wait_seqs([4, 3, 2, 1])
    page.locator("#f-status").get_by_role("button", name="invalid").click()
    probe.wait_seqs([s["invalid"]])
    assert query(page)["status"] == ["invalid"]
    page.locator("#f-status").get_by_role("button", name="invalid").click()
    probe.wait_seqs([4, 3, 2, 1])
    # source (two sources: the toggles appear)
    page.locator("#f-source").get_by_role("button", name="probation-queue").click()
    probe.wait_seqs([s["tier"]])
    page.locator("#f-source").get_by_role("button", name="probation-queue").click()
    probe.wait_seqs([4, 3, 2, 1])
    # free text over the raw message
    page.locator("#f-q").fill("tier changed to b2")
    probe.wait_seqs([s["tier"]])
    assert query(page)["q"] == ["tier changed to b2"]
    page.locator("#f-q").fill("")
    probe.wait_seqs([4, 3, 2, 1])
    # time window: nothing received in the future, everything in the last 5 minutes
    page.goto(served.url + "/?since=2999-01-01T00:00:00Z")
    expect(page.locator("#empty")).to_be_visible()
    probe.wait_seqs([])
    expect(page.locator("#f-window")).to_have_value("custom")
    page.locator("#f-window").select_option("5m")
    probe.wait_seqs([4, 3, 2, 1])
    assert "since" in query(page)


def test_person_chip_shows_their_timeline(serve, probe):
    served = serve()
    s = mixed(served)
    page = probe.open(served)
    probe.wait_seqs([4, 3, 2, 1])
    page.locator(f'#list .row[data-seq="{s["received"]}"] .chip').click()
    probe.wait_seqs([s["tier"], s["received"]])  # across event types and sources
    assert query(page)["person"] == ["A1111AA"]
    expect(page.locator("#f-person")).to_have_value("A1111AA")
    expect(page.locator("#detail")).to_be_hidden()  # the chip filters; it does not open


def test_deep_link_reload_restores_filters_and_the_open_message(serve, probe):
    served = serve()
    s = mixed(served)
    link = (f"/?eventType=prison.prisoner.received&q=prisoner&status=invalid&status=valid"
            f"&seq={s['invalid']}")
    page = probe.open(served, link)
    probe.wait_seqs([s["invalid"], s["received"]])
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#detail-title")).to_have_text("prison.prisoner.received")
    expect(page.locator("#f-q")).to_have_value("prisoner")
    expect(page.locator('#f-status button[data-value="invalid"]')).to_have_attribute(
        "aria-pressed", "true")
    page.reload()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    probe.wait_seqs([s["invalid"], s["received"]])
    expect(page.locator("#detail-badge")).to_have_text("invalid")
    # closing the message keeps the filter and drops the permalink
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()
    assert "seq" not in query(page) and query(page)["q"] == ["prisoner"]
    page.go_back()  # history: the message again
    expect(page.locator("#detail")).to_be_visible()


def test_hidden_event_types_by_default_and_saved_filters(serve, probe):
    served = serve({"HIDE_EVENT_TYPES": ["probation.tier.changed"]})
    s = mixed(served)
    page = probe.open(served)
    probe.wait_seqs([s["invalid"], s["released"], s["received"]])
    expect(page.locator("#active-filters")).to_contain_text("probation.tier.changed")
    page.get_by_role("button", name="Remove hide probation.tier.changed").click()
    probe.wait_seqs([4, 3, 2, 1])
    assert query(page)["excludeEventType"] == [""]  # cleared on purpose: stays cleared
    page.reload()
    probe.wait_seqs([4, 3, 2, 1])
    # save a named filter, change the view, then load it back
    page.locator("#f-status").get_by_role("button", name="invalid").click()
    probe.wait_seqs([s["invalid"]])
    open_menu(page, "#saved")
    page.locator("#save-name").fill("Broken ones")
    page.locator("#save-name").press("Enter")
    expect(page.locator("#saved-list")).to_contain_text("Broken ones")
    page.get_by_role("button", name="Reset filters").click()
    probe.wait_seqs([s["invalid"], s["released"], s["received"]])  # defaults: hidden again
    open_menu(page, "#saved")
    page.locator("#saved-list").get_by_role("button", name="Broken ones", exact=True).click()
    probe.wait_seqs([s["invalid"]])
    page.reload()  # saved in the browser
    open_menu(page, "#saved")
    expect(page.locator("#saved-list")).to_contain_text("Broken ones")


def test_a_bad_filter_is_reported_not_swallowed(serve, probe):
    served = serve()
    feed(served.viewer, envelope_event())
    probe.page.goto(served.url + "/?status=bogus")
    expect(probe.page.locator("#filter-error")).to_contain_text("status: unknown status 'bogus'")
    wait_until(lambda: probe.seqs() == [], message="nothing shown for a bad filter")
