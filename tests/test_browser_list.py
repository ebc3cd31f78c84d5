"""The live list in a real headless Chromium: arrival, pause, clear, reconnect, volume."""

from __future__ import annotations

import json
import threading
import time

import pytest
from playwright.sync_api import expect

from tests.browser import chromium_fixture, envelope_event, feed, probe_fixture, serve_fixture  # noqa: F401
from tests.conftest import event, wait_until

pytestmark = pytest.mark.browser


def test_live_arrival_through_sns(serve, probe, topic):
    served = serve({"QUEUES": [f"orders={topic.queue_url}"]}, start=True)
    page = probe.open(served)
    expect(page.locator("#empty")).to_be_visible()
    topic.publish(event("prison-offender-events.prisoner.received",
                        description="Received into HMP Moorland"))
    topic.publish({"eventType": "no.version", "occurredAt": "2024-01-01T00:00:00Z"})
    topic.publish('{"eventType": "broken", ', event_type="broken.thing")
    rows = page.locator("#list .row:not([hidden])")
    expect(rows).to_have_count(3)
    by_type = {}
    for i in range(3):
        row = rows.nth(i)
        by_type[row.locator(".cell.type").text_content()] = row
    good = by_type["prison-offender-events.prisoner.received"]
    assert good.get_attribute("data-seq").isdigit()
    expect(good.locator(".cell.source")).to_have_text("orders")
    expect(good.locator(".chip")).to_have_text("NOMSA1234BC")
    expect(good.locator(".cell.summary")).to_have_text("Received into HMP Moorland")
    expect(good.locator(".badge")).to_have_text("valid")
    expect(by_type["no.version"].locator(".badge")).to_have_text("invalid")
    expect(by_type["broken.thing"].locator(".badge")).to_have_text("unparseable")
    # the received time is local, with UTC on hover
    assert good.locator(".cell.time").get_attribute("title").endswith("Z (UTC)")
    # newest first, each row with its seq
    assert probe.row_seqs() == sorted(probe.row_seqs(), reverse=True)


def test_pause_holds_the_list_and_counts_new_messages(serve, probe):
    served = serve()
    for i in range(3):
        feed(served.viewer, envelope_event(noms=f"A000{i}AA"))
    page = probe.open(served)
    probe.wait_seqs([3, 2, 1])
    page.locator("#list").focus()
    page.keyboard.press(" ")  # space pauses
    expect(page.locator("#pause")).to_have_attribute("aria-pressed", "true")
    for i in range(5):
        feed(served.viewer, envelope_event(noms=f"B000{i}BB"))
    expect(page.locator("#new-count")).to_have_text("5 new")
    assert probe.row_seqs() == [3, 2, 1]  # held still
    page.locator("#new-count").click()  # resume catches up
    probe.wait_seqs([8, 7, 6, 5, 4, 3, 2, 1])
    expect(page.locator("#new-count")).to_be_hidden()
    assert probe.row_seqs() == [8, 7, 6, 5, 4, 3, 2, 1]


def test_clear_empties_the_list_and_new_messages_still_arrive(serve, probe):
    served = serve()
    for _ in range(4):
        feed(served.viewer, envelope_event())
    page = probe.open(served)
    probe.wait_seqs([4, 3, 2, 1])
    page.locator("#clear").click()
    probe.wait_seqs([])
    expect(page.locator("#empty")).to_contain_text("Cleared")
    feed(served.viewer, envelope_event())
    probe.wait_seqs([5])


def test_follow_newest_off_keeps_the_view_still(serve, probe):
    served = serve()
    for _ in range(120):
        feed(served.viewer, envelope_event())
    page = probe.open(served)
    wait_until(lambda: len(probe.seqs()) == 120)
    page.locator("#list").evaluate("el => { el.scrollTop = 900; }")
    expect(page.locator("#follow")).to_have_attribute("aria-pressed", "false")
    top_before = probe.row_seqs()
    for _ in range(10):
        feed(served.viewer, envelope_event())
    wait_until(lambda: len(probe.seqs()) == 130)
    # the same messages stay on screen: the list grew above them
    wait_until(lambda: probe.row_seqs()[:5] == top_before[:5], message="view kept still")
    page.locator("#follow").click()
    expect(page.locator("#follow")).to_have_attribute("aria-pressed", "true")
    wait_until(lambda: 130 in probe.row_seqs(), message="newest in view when following")


def test_reconnects_after_a_server_restart_with_nothing_lost_or_doubled(serve, probe):
    served = serve()
    for _ in range(5):
        feed(served.viewer, envelope_event())
    page = probe.open(served)
    probe.wait_seqs([5, 4, 3, 2, 1])
    served.stop()
    expect(page.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    for _ in range(4):  # published while the page is away
        feed(served.viewer, envelope_event())
    served.start()  # same port, same buffer
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    feed(served.viewer, envelope_event())
    feed(served.viewer, envelope_event())
    probe.wait_seqs(list(range(11, 0, -1)))
    rows = probe.row_seqs()
    assert rows == list(range(11, 0, -1)), rows
    assert len(set(rows)) == len(rows)


def test_ten_thousand_messages_stay_virtualised(serve, probe):
    served = serve()
    for i in range(10_000):
        feed(served.viewer, envelope_event(noms=f"V{i:04d}VV"))
    page = probe.open(served)
    wait_until(lambda: len(probe.seqs()) == 500, message="first page of 500")
    expect(page.locator("#count")).to_contain_text("10,000 matching")
    # scrolling to the end pages older messages in over REST, up to the cap
    for _ in range(40):
        if len(probe.seqs()) >= 10_000:
            break
        count = len(probe.seqs())
        page.locator("#list").evaluate("el => { el.scrollTop = el.scrollHeight; }")
        wait_until(lambda c=count: len(probe.seqs()) > c or c >= 10_000,
                   message=f"older page after {count}")
    seqs = probe.seqs()
    assert seqs == list(range(10_000, 0, -1))
    drawn = page.locator("#list .row:not([hidden])").count()
    assert 0 < drawn < 120, f"{drawn} rows in the DOM: the list is not virtualised"
    page.locator("#list").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    wait_until(lambda: probe.row_seqs()[-1] == 1, message="the oldest drawn at the bottom")


def test_the_first_page_is_a_screenful_over_the_socket_then_the_rest_over_rest(serve, probe):
    served = serve()
    for i in range(1_000):
        feed(served.viewer, envelope_event(noms=f"P{i:04d}PP"))
    resets = []
    probe.page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda data: '"messages/reset"' in str(data)[:40] and resets.append(data)))
    probe.open(served)
    probe.wait_seqs(list(range(1_000, 500, -1)))  # the whole first page, no gap, no double
    first = json.loads(resets[0])["payload"]
    assert len(first["messages"]) < 500  # a small frame, so the first rows draw sooner
    assert first["total"] == 1_000


def test_an_older_page_asked_for_under_a_replaced_filter_is_dropped(serve, probe):
    served = serve()
    released = [feed(served.viewer, envelope_event(
        "prison.prisoner.released" if i % 2 else "prison.prisoner.received")) for i in range(300)]
    released = [m.seq for m in reversed(released) if m.event_type == "prison.prisoner.released"]
    page = probe.page
    held = []  # REST pages, answered only when the test says so

    def rest_page(url: str) -> bool:
        return "/api/messages?" in url

    page.route(rest_page, lambda route: held.append(route))
    probe.open(served)
    wait_until(lambda: page.evaluate("1") and held, message="the page asks for the rest")
    page.locator("#f-q").fill("prisoner.released")  # a new filter while that page is out
    wait_until(lambda: page.evaluate("""window.viewerApp.model.items.length > 0 &&
        window.viewerApp.model.items.every((m) => m.eventType === 'prison.prisoner.released')"""),
               message="the reset for the new filter")
    held.pop(0).continue_()  # the old filter's page arrives after the new reset
    wait_until(lambda: page.evaluate("1") and held, message="the page asks again, anew")
    while held:
        held.pop(0).continue_()
    page.unroute(rest_page)
    probe.wait_seqs(released)


LONG_TASK_PROBE = """() => {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push(e.duration);
  }).observe({ type: "longtask", buffered: false });
}"""


def test_burst_of_200_per_second_without_long_tasks(serve, probe):
    served = serve({"BUFFER_SIZE": 20_000})
    for i in range(2_000):
        feed(served.viewer, envelope_event(noms=f"W{i:04d}WW"))
    page = probe.open(served)
    wait_until(lambda: len(probe.seqs()) == 500)
    page.evaluate(LONG_TASK_PROBE)
    done = threading.Event()

    def burst() -> None:
        # 200 messages/s for 4 s, paced in 20 ms steps of 4 (pacing, not synchronisation)
        start = time.monotonic()
        for step in range(200):
            for _ in range(4):
                feed(served.viewer, envelope_event())
            delay = start + (step + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        done.set()

    threading.Thread(target=burst, daemon=True).start()
    wait_until(done.is_set, timeout=60, message="burst sent")
    wait_until(lambda: len(probe.seqs()) == 1_300, timeout=30, message="burst shown")
    long_tasks = page.evaluate("window.longTasks")
    print(f"long tasks during a 200 msg/s burst: {len(long_tasks)} {long_tasks}")
    # Long tasks are wall time, so on a shared, loaded machine a 15 ms frame can be
    # reported as 60 ms: this records them and only fails on a real freeze. The benchmark
    # owns the timing figures.
    assert all(d < 500 for d in long_tasks), long_tasks


def test_falling_behind_resubscribes_without_gaps(serve, probe):
    served = serve({"OUTBOX_SIZE": 4})  # a tiny outbox: a burst overflows it at once
    behind = []
    probe.page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda data: "stream/behind" in str(data) and behind.append(data)))
    feed(served.viewer, envelope_event())
    probe.open(served)
    probe.wait_seqs([1])
    for _ in range(300):
        feed(served.viewer, envelope_event())
    probe.wait_seqs(list(range(301, 0, -1)), timeout=30)
    assert behind, "the burst never overflowed the outbox: the test proved nothing"


def test_the_header_rate_is_the_servers(serve, probe):
    served = serve()
    at = time.time()
    served.viewer.store.created_at = at - 600  # as if running for ten minutes
    for i in range(60):  # four a second over the last 15 s
        feed(served.viewer, envelope_event(), received_at=at - 15 + i / 4)
    page = probe.open(served)
    # 60 in the last 30 s: 2.0, however the 10 s buckets of the chart fall.
    expect(page.locator("#rate-now")).to_have_text("2.0 msg/s")


def test_a_restarted_server_with_a_new_buffer_starts_afresh(serve, probe):
    first = serve()
    for _ in range(5):
        feed(first.viewer, envelope_event())
    page = probe.open(first)
    probe.wait_seqs([5, 4, 3, 2, 1])
    first.stop()
    expect(page.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    second = serve()  # a new process: its buffer numbers from 1 again
    second.stop()
    second.port = first.port
    second.start()
    feed(second.viewer, envelope_event())
    feed(second.viewer, envelope_event())
    probe.wait_seqs([2, 1])
