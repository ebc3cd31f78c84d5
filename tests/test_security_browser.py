"""Hostile message content renders inert in a real headless Chromium (issue 5, point 12).

Payloads sit in event types, keys, values, identifiers, the source label, error messages and
unparseable text. The page lists them, every one is opened and every detail tab shown;
then no dialog may have opened, no payload may have run, and no element may have been
injected. ``detailUrl`` becomes a link only for http(s).
"""

from __future__ import annotations

import orjson
import pytest
from playwright.sync_api import expect

from tests.browser import (  # noqa: F401 - fixtures used by name
    chromium_fixture,
    envelope_event,
    feed,
    probe_fixture,
    serve_fixture,
)

pytestmark = pytest.mark.browser

IMG = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1;alert(1)">'
SCRIPT = '</script><script>window.__pwned=(window.__pwned||0)+1;alert(2)</script>'
SVG = '<svg onload="window.__pwned=(window.__pwned||0)+1;alert(3)"></svg>'
JS_URL = "javascript:window.__pwned=(window.__pwned||0)+1;alert(4)"
ATTR = '" autofocus onfocus="window.__pwned=(window.__pwned||0)+1;alert(5)" x="'

# Everything a test page should contain of its own: nothing with an inline handler, no
# script without a src, no frame, no object; images only from the app.
INJECTED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) bad.push(el.tagName + '[' + a.name + ']');
      if (/^\\s*javascript:/i.test(a.value) && ['href', 'src', 'action', 'formaction',
          'xlink:href'].includes(a.name)) bad.push(el.tagName + '[' + a.name + '=js]');
    }
    if (['IFRAME', 'OBJECT', 'EMBED', 'FRAME'].includes(el.tagName)) bad.push(el.tagName);
    if (el.tagName === 'SCRIPT' && !el.src) bad.push('inline SCRIPT');
    if (el.tagName === 'IMG' && /(^|\\/)x$/.test(el.getAttribute('src') || '')) bad.push('IMG x');
    if (el.namespaceURI === 'http://www.w3.org/2000/svg' && el.closest('#list, #detail')
        && el.tagName.toLowerCase() === 'svg' && el.hasAttribute('onload')) bad.push('SVG');
  }
  return bad;
}"""


def hostile_messages(viewer) -> None:
    """Store one message per hiding place."""
    feed(viewer, envelope_event(event_type=IMG, description=SCRIPT), event_type=IMG)
    feed(viewer, envelope_event(
        description=SVG,
        additionalInformation={IMG: JS_URL, SCRIPT: [SVG, {ATTR: IMG}], "nomsNumber": ATTR},
        detailUrl=JS_URL), source=SVG)
    feed(viewer, envelope_event(
        personReference={"identifiers": [{"type": IMG, "value": SCRIPT}]},
        detailUrl="https://example.org/detail?x=" + "%3Cimg%3E"))
    feed(viewer, envelope_event(version=IMG, occurredAt=SCRIPT))  # echoed in error messages
    feed(viewer, "{not json " + IMG + SCRIPT, event_type=ATTR)
    feed(viewer, orjson.dumps({SVG: IMG, "eventType": SCRIPT}).decode(), event_type=None)


def test_hostile_content_renders_as_text(serve, probe):
    """No dialog, no payload run, nothing injected; payloads visible as literal text."""
    served = serve()
    hostile_messages(served.viewer)
    page = probe.page
    page.goto(served.url + "/")
    rows = page.locator("#list .row:not([hidden])")
    expect(rows).to_have_count(6, timeout=15_000)
    for i in range(6):
        rows.nth(i).click()
        expect(page.locator("#detail")).to_be_visible(timeout=15_000)
        for tab in ("body", "envelope", "raw", "spec", "timings"):
            page.locator(f"#tab-{tab}").click()
            expect(page.locator(f"#panel-{tab}")).to_be_visible(timeout=15_000)
        assert page.evaluate(INJECTED) == [], f"injected elements after opening row {i}"
        page.locator("#detail-close").click()
        expect(page.locator("#detail")).to_be_hidden(timeout=15_000)
    assert probe.dialogs == []
    assert page.evaluate("window.__pwned") is None
    listed = page.locator("#list").text_content()
    for payload in (IMG, SCRIPT, SVG):
        assert payload in listed, f"{payload!r} should show as text in the list"
    # detailUrl: an https URL is a link; a javascript: URL is only text.
    links = page.evaluate("[...document.querySelectorAll('a[href]')].map((a) => a.href)")
    assert not [h for h in links if h.lower().startswith("javascript:")]
    assert not [h for h in links if h.lower().startswith("data:")]
    # The probe itself can fail: an element injected now is found.
    page.evaluate("document.body.append(Object.assign(document.createElement('img'), "
                  "{src: 'x', alt: ''}))")
    assert page.evaluate(INJECTED) == ["IMG x"]


def test_detail_url_links_only_open_http(serve, probe):
    """The detail of a message with an https detailUrl links it; javascript: stays text."""
    served = serve()
    feed(served.viewer, envelope_event(detailUrl="https://example.org/ok"))
    feed(served.viewer, envelope_event(detailUrl=JS_URL))
    feed(served.viewer, envelope_event(detailUrl="data:text/html,<script>alert(1)</script>"))
    page = probe.page
    page.goto(served.url + "/")
    rows = page.locator("#list .row:not([hidden])")
    expect(rows).to_have_count(3, timeout=15_000)
    found = []
    for i in range(3):
        rows.nth(i).click()
        expect(page.locator("#detail")).to_be_visible(timeout=15_000)
        # The whole message (body and links) arrives after the panel opens: wait for it.
        expect(page.locator("#detail")).to_contain_text("example.org/ok" if i == 2 else
                                                       "detailUrl", timeout=15_000)
        found.append(page.evaluate(
            "[...document.querySelectorAll('#detail-meta a[href]')].map((a) => a.href)"))
        page.locator("#detail-close").click()
        expect(page.locator("#detail")).to_be_hidden(timeout=15_000)
    assert sorted(sum(found, [])) == ["https://example.org/ok"]
    assert probe.dialogs == []
