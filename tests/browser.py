"""Browser test helpers: a real headless Chromium, a restartable live server, feeds.

Test modules import the fixtures by their function names (``chromium_fixture``,
``probe_fixture``, ``serve_fixture``) and use them as ``chromium``, ``probe``, ``serve``.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from werkzeug.serving import make_server

from tests.conftest import wait_until
from viewer.core import Viewer
from viewer.message import Message
from viewer.sns import build_message

CHROMIUM = os.environ.get("VIEWER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
_ids = itertools.count(1)


_SHARED: dict[str, Any] = {}


@pytest.fixture(scope="session", name="chromium")
def chromium_fixture() -> Iterator[Any]:
    """One headless Chromium for the session (Debian's package; .ci/run installs it)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (see .ci/run)")
    # Each test module imports this fixture, so pytest sets it up once per module; they
    # share one Playwright, as a second sync_playwright in the same process fails.
    if not _SHARED:
        playwright = sync_playwright().start()
        _SHARED.update(playwright=playwright, users=0, browser=playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS))
    _SHARED["users"] += 1
    yield _SHARED["browser"]
    _SHARED["users"] -= 1
    if not _SHARED["users"]:
        _SHARED["browser"].close()
        _SHARED["playwright"].stop()
        _SHARED.clear()


class Probe:
    """A page plus what it did that it should not: dialogs, uncaught errors, CSP refusals."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.csp: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, msg: Any) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            self.csp.append(msg.text)

    def open(self, served: Served, path: str = "/") -> Any:
        """Load the page and wait until its stream is live; returns the Playwright page."""
        from playwright.sync_api import expect

        self.page.goto(served.url + path)
        expect(self.page.locator("#connection")).to_have_attribute("data-state", "live")
        return self.page

    def seqs(self) -> list[int]:
        """The seq of every message the page holds, in list order (newest first)."""
        return self.page.evaluate("window.viewerApp.model.items.map((m) => m.seq)")

    def row_seqs(self) -> list[int]:
        """The seqs of the rows drawn in the DOM, top to bottom."""
        return self.page.evaluate("""[...document.querySelectorAll('#list .row:not([hidden])')]
            .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
            .map((r) => Number(r.dataset.seq))""")

    def wait_seqs(self, expected: list[int], timeout: float = 15.0) -> None:
        """Wait until the page holds exactly these seqs (newest first)."""
        wait_until(lambda: self.seqs() == expected, timeout=timeout,
                   message=f"page to hold {expected[:8]}... (has {self.seqs()[:8]}...)")


@pytest.fixture(name="probe")
def probe_fixture(chromium: Any) -> Iterator[Probe]:
    """A fresh page; at the end it must have raised no error and broken no CSP rule."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900},
                                   accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    found = Probe(page)
    yield found
    context.close()
    assert found.errors == [], f"uncaught page errors: {found.errors}"
    assert found.csp == [], f"Content Security Policy refusals: {found.csp}"


class Served:
    """An app served over HTTP on a fixed port once chosen, so it can be restarted."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.viewer: Viewer = app.extensions["viewer"]
        self.port = 0
        self.server: Any = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Close every websocket and the listening socket."""
        if self.server is None:
            return
        self.app.extensions["viewer.hub"].close_all()
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(name="serve")
def serve_fixture(app_factory: Callable[..., Any]) -> Iterator[Callable[..., Served]]:
    """``serve(config, start=False)``: an app on a live server (fed in-process by default)."""
    servers: list[Served] = []

    def build(config: dict[str, Any] | None = None, start: bool = False) -> Served:
        served = Served(app_factory(config, start=start))
        servers.append(served)
        return served

    yield build
    for served in servers:
        served.stop()


def envelope_event(event_type: str = "prison-offender-events.prisoner.received",
                   noms: str = "A1234BC", **extra: Any) -> dict[str, Any]:
    """A valid HMPPS-style event body."""
    body: dict[str, Any] = {
        "eventType": event_type, "version": 1,
        "description": "A prisoner has been received into prison",
        "occurredAt": "2024-10-14T15:09:54.123+01:00",
        "additionalInformation": {"nomsNumber": noms, "prisonId": "MDI"},
        "personReference": {"identifiers": [{"type": "NOMS", "value": noms}]},
    }
    body.update(extra)
    return body


def feed(viewer: Viewer, body: Any, event_type: str | None = "__from_body__",
         source: str = "domain-events", received_at: float | None = None) -> Message:
    """Store one message as the SQS consumer would (SNS envelope and attributes)."""
    raw = body if isinstance(body, str) else orjson.dumps(body).decode()
    if event_type == "__from_body__":
        event_type = body.get("eventType") if isinstance(body, dict) else None
    message_id = f"00000000-0000-4000-8000-{next(_ids):012d}"
    attributes = {"eventType": event_type} if event_type else {}
    published = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    envelope = {"Type": "Notification", "MessageId": message_id,
                "TopicArn": "arn:aws:sns:eu-west-2:000000000000:hmpps-domain-events",
                "Timestamp": published,
                "MessageAttributes": {k: {"Type": "String", "Value": v}
                                      for k, v in attributes.items()}}
    message = build_message(raw, message_id, source, attributes, viewer.judge,
                            published_at=published, envelope=envelope,
                            received_at=received_at)
    stored = viewer.store.put(message)
    assert stored is not None
    return stored


def screenshots(out: Path) -> None:
    """Draw docs/screenshots/main.png and detail-errors.png from ten minutes of demo traffic."""
    import logging
    import random
    import time

    from playwright.sync_api import sync_playwright

    from viewer.app import create_app
    from viewer.demo.events import DemoTraffic
    from viewer.resources import resource_dir
    from viewer.settings import resolve

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    demo_specs = Path(__file__).resolve().parent.parent / "viewer" / "demo" / "specs"
    app = create_app(resolve({"SPEC_WATCH": False, "SPEC_DIRS": [str(demo_specs)]},
                             environ={}))
    viewer = app.extensions["viewer"]
    viewer.specs.start()
    rng = random.Random(7)
    demo = DemoTraffic(seed=7, broken_share=0.12)
    now = time.time()
    at = now - 590
    while at < now - 20:
        event_type, text = demo.next()
        source = "probation-events" if event_type.startswith(("probation", "tier")) \
            else "domain-events"
        feed(viewer, text, event_type, source=source, received_at=at)
        at += rng.expovariate(1.2 + 0.8 * abs(((at - now) / 120) % 2 - 1))
    bad = envelope_event("prison-offender-events.prisoner.received", noms="G4821VK",
                         occurredAt="14/10/2024 15:09", version="1")
    bad["personReference"]["identifiers"].append({"type": "CRN"})
    shown = feed(viewer, bad, received_at=now - 8)
    for ago in sorted((rng.uniform(0, 8) for _ in range(12)), reverse=True):
        event_type, text = demo.next()
        feed(viewer, text, event_type, received_at=now - ago)
    served = Served(app)
    out.mkdir(parents=True, exist_ok=True)
    assert resource_dir("static").exists()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(served.url + "/")
            page.locator("#list .row").first.wait_for()
            page.locator("#type-list .type-row").first.wait_for()
            page.screenshot(path=str(out / "main.png"))
            page.goto(served.url + f"/?seq={shown.seq}")
            page.locator("#panel-body .errors").wait_for()
            page.screenshot(path=str(out / "detail-errors.png"))
            browser.close()
    finally:
        served.stop()


if __name__ == "__main__":
    import sys

    screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
