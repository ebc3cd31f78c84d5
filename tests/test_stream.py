"""The websocket contract: subscribe with a filter, a reset, then only matching new messages."""

from __future__ import annotations

import pytest
from simple_websocket import ConnectionError as WsConnectionError

from tests.conftest import event, wait_until


def test_subscribe_gets_reset_then_only_matching_adds(live, topic):
    server = live({"QUEUES": [topic.queue_url]})
    viewer = server.app.extensions["viewer"]
    topic.publish(event("wanted.before"))
    wait_until(lambda: viewer.store.last_seq == 1, message="first message stored")
    ws = server.ws()
    ws.subscribe({"eventType": ["wanted.before", "wanted.after"]})
    reset = ws.receive_type("messages/reset")
    assert reset["payload"]["total"] == 1
    assert [m["eventType"] for m in reset["payload"]["messages"]] == ["wanted.before"]
    topic.publish(event("unwanted"))
    topic.publish(event("wanted.after"))
    added = ws.receive_type("messages/add")
    assert added["payload"]["eventType"] == "wanted.after"
    assert added["payload"]["seq"] == 3
    assert added["payload"]["body"] == event("wanted.after")
    ws.close()


def test_resubscribe_after_seq_misses_nothing(live, topic):
    server = live({"QUEUES": [topic.queue_url]})
    viewer = server.app.extensions["viewer"]
    for i in range(3):
        topic.publish(event("count.me", version=i))
    wait_until(lambda: viewer.store.last_seq == 3, message="three stored")
    ws = server.ws()
    ws.subscribe({}, after=1)
    reset = ws.receive_type("messages/reset")
    assert [m["seq"] for m in reset["payload"]["messages"]] == [3, 2]
    ws.subscribe({"status": "invalid"})  # a new subscribe replaces the filter
    assert ws.receive_type("messages/reset")["payload"] == {"messages": [], "total": 0}
    topic.publish(event("count.me"))
    topic.publish({"eventType": "bad.one", "occurredAt": "2024-01-01T00:00:00Z"})
    added = ws.receive_type("messages/add")
    assert added["payload"]["eventType"] == "bad.one"
    ws.close()


def test_bad_subscribe_gets_an_error_frame_and_the_socket_lives(live, app_factory):
    server = live(app=app_factory(start=False))
    ws = server.ws()
    ws.send("subscribe", {"filter": {"status": "nonsense"}})
    assert "status" in ws.receive_type("error")["payload"]["message"]
    ws.client.send("not json")
    assert ws.receive_type("error")["payload"]["message"]
    ws.subscribe({})
    assert ws.receive_type("messages/reset")["payload"]["total"] >= 0
    ws.close()


def test_foreign_origin_is_refused(live, app_factory):
    server = live(app=app_factory(start=False))
    with pytest.raises(WsConnectionError) as refused:
        server.ws(origin="http://evil.example")
    assert refused.value.status_code == 403
    with pytest.raises(WsConnectionError):
        server.ws(origin=None)
