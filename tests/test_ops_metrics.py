"""Prometheus /metrics: well-formed exposition, counts that follow real traffic, capped labels."""

from __future__ import annotations

import re
from collections import Counter

from tests.conftest import event, wait_until
from viewer.web.metrics import MAX_EVENT_TYPES, _capped_types, escape

SAMPLE = re.compile(r'^([a-z_]+)(\{(?:[a-z_]+="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+)$')


def parse(text: str) -> dict[str, float]:
    """Sample line (name and labels) -> value; fails on any line that is not well formed."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not exposition format: {line!r}"
        samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


def test_metrics_follow_traffic_statuses_and_clients(live, topic):
    server = live({"QUEUES": [f"src={topic.queue_name}"]})
    ws = server.ws()
    ws.subscribe()
    ws.receive_type("messages/reset")
    topic.publish(event("metrics.a"))
    topic.publish(event("metrics.a"))
    topic.publish(event('metrics."b"', version="one"))  # invalid: version is not an integer
    client = server.app.test_client()

    def scraped() -> dict[str, float] | None:
        found = parse(client.get("/metrics").get_data(as_text=True))
        return found if found.get("events_viewer_buffer_messages") == 3 else None

    m = wait_until(scraped, message="three messages in the metrics")
    assert m['events_viewer_messages_received_total{source="src",event_type="metrics.a"}'] == 2
    assert m['events_viewer_messages_received_total{source="src",event_type="metrics.\\"b\\""}'] \
        == 1
    assert m['events_viewer_messages_by_status_total{status="valid"}'] == 2
    assert m['events_viewer_messages_by_status_total{status="invalid"}'] == 1
    assert m["events_viewer_websocket_clients"] == 1
    assert m["events_viewer_buffer_capacity"] == 10_000
    assert m['events_viewer_delete_failures_total{source="src"}'] == 0
    assert 'events_viewer_queue_messages{source="src",state="dlq"}' in m
    assert 'events_viewer_queue_messages{source="src",state="visible"}' in m
    answer = client.get("/metrics")
    assert answer.content_type.startswith("text/plain; version=0.0.4")
    ws.close()
    wait_until(lambda: parse(client.get("/metrics").get_data(as_text=True))[
        "events_viewer_websocket_clients"] == 0, message="the client to be forgotten")


def test_label_values_are_escaped_and_event_types_capped():
    assert escape('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    received = Counter({("q", f"type.{i}", "valid"): 1000 - i for i in range(MAX_EVENT_TYPES + 50)})
    capped = _capped_types(received)
    assert len(capped) == MAX_EVENT_TYPES + 1
    assert capped[("q", "other")] == sum(1000 - i for i in range(MAX_EVENT_TYPES,
                                                                 MAX_EVENT_TYPES + 50))
    assert capped[("q", "type.0")] == 1000


def test_counts_of_endless_new_event_types_stay_bounded(app_factory, monkeypatch):
    from viewer import core
    from viewer.sns import build_message

    monkeypatch.setattr(core, "MAX_COUNTED", 10)
    app = app_factory({"QUEUES": ["src=unused"]}, start=False)
    viewer = app.extensions["viewer"]
    for i in range(50):  # a publisher that puts an id in every event type
        text = f'{{"eventType": "odd.thing.{i}"}}'
        assert viewer.accept(build_message(text, f"m{i}", "src", {}, viewer.judge))
    assert len(viewer.received) <= 10 + 4  # plus one "other" per status
    assert sum(viewer.received.values()) == 50  # every message still counted
    m = parse(app.test_client().get("/metrics").get_data(as_text=True))
    assert m['events_viewer_messages_received_total{source="src",event_type="other"}'] == 40
