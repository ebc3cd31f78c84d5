"""Chaos: a mixed stream through an endpoint that goes away, with a client that reconnects.

Valid, invalid, hostile, unparseable and huge messages go through a real local SNS/SQS
on a fixed port. Between two halves the endpoint is stopped and restarted on the same port
(moto forgets everything, so the topic and queue are recreated), and the websocket client
disconnects and comes back with ``after`` = the last seq it saw. Redeliveries are injected.
At the end every published message is in the buffer exactly once and the client saw each
exactly once.
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from typing import Any

import orjson
import pytest

from tests.conftest import LiveServer, event, wait_until
from viewer.app import create_app
from viewer.core import Viewer
from viewer.filters import Filter
from viewer.settings import resolve
from viewer.sources.embedded import create_topic_and_queue, local_client, publish
from viewer.sources.localsqs import LocalSqs
from viewer.sources.sqs import Backoff

PER_HALF = 30
REDELIVERED = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mixed(i: int) -> tuple[str | None, str]:
    """(eventType attribute, text) of the i-th message: a mix of every kind."""
    kind = i % 6
    if kind == 0:
        return "chaos.valid", orjson.dumps(event("chaos.valid", version=i)).decode()
    if kind == 1:
        body = event("chaos.invalid")
        del body["version"]
        return "chaos.invalid", orjson.dumps(body).decode()
    if kind == 2:
        return ('<img src=x onerror=alert(1)>', orjson.dumps(event(
            "<img src=x onerror=alert(1)>", description="</script><script>alert(2)</script>",
            detailUrl="javascript:alert(3)", additionalInformation={"\u202e": "\u0000"})).decode())
    if kind == 3:
        return "chaos.broken", '{"eventType": "chaos.broken", "version": NaN, ' + str(i)
    if kind == 4:
        return "chaos.huge", orjson.dumps(event("chaos.huge", description="h" * 200_000,
                                                version=i)).decode()
    return None, "[" * 5000 + "]" * 5000


def strict(data: str) -> Any:
    def no_constants(name: str) -> Any:
        raise AssertionError(f"{name} sent to a browser")

    return json.loads(data.encode("utf-8", "strict").decode("utf-8"),
                      parse_constant=no_constants)


class Watcher:
    """A websocket client that remembers every message it was shown, by message id."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.seen: Counter[str] = Counter()
        self.last_seq = 0
        self.ws: Any = None

    def connect(self, after: int | None) -> None:
        self.ws = self.server.ws()
        self.ws.subscribe({}, after=after)
        while True:
            frame = strict(self.ws.client.receive(timeout=15))
            if frame["type"] == "messages/reset":
                for m in frame["payload"]["messages"]:
                    self._saw(m)
                return

    def _saw(self, m: dict[str, Any]) -> None:
        self.seen[m["messageId"]] += 1
        self.last_seq = max(self.last_seq, m["seq"])

    def read_until(self, count: int) -> None:
        while sum(self.seen.values()) < count:
            data = self.ws.client.receive(timeout=30)
            assert data is not None, f"only {sum(self.seen.values())} of {count} seen"
            frame = strict(data)
            assert frame["type"] in ("messages/add", "pong"), frame["type"]
            if frame["type"] == "messages/add":
                self._saw(frame["payload"])

    def close(self) -> None:
        self.ws.close()


@pytest.mark.slow
def test_nothing_lost_or_doubled_through_an_endpoint_restart_and_a_reconnect():
    port = free_port()
    local = LocalSqs(port=port)
    endpoint = local.start()
    published: list[str] = []

    def setup() -> tuple[Any, Any, str, str]:
        sns, sqs = local_client("sns", endpoint), local_client("sqs", endpoint)
        arn, url = create_topic_and_queue(sns, sqs, topic="chaos", queue="chaos")
        return sns, sqs, arn, url

    def send(sns: Any, sqs: Any, arn: str, url: str, start: int, stop: int) -> None:
        for i in range(start, stop):
            event_type, text = mixed(i)
            published.append(publish(sns, arn, event_type, text))
            if i % 10 == 5 and i // 10 < REDELIVERED:  # the same notification again
                sqs.send_message(QueueUrl=url, MessageBody=orjson.dumps({
                    "Type": "Notification", "MessageId": published[-1], "TopicArn": arn,
                    "Message": text, "Timestamp": "2024-10-14T14:09:55.000Z"}).decode())

    sns, sqs, arn, url = setup()
    values = resolve({"QUEUES": [f"chaos={url}"], "SQS_WAIT_SECONDS": 1,
                      "SPEC_WATCH": False}, environ={})
    viewer = Viewer(values, sqs_client=local_client("sqs", endpoint))
    server = LiveServer(create_app(values, viewer=viewer))
    viewer.start()
    viewer.consumers[0].backoff = Backoff(base=0.1, cap=1.0)  # quick to notice the return
    watcher = Watcher(server)
    try:
        watcher.connect(after=None)
        send(sns, sqs, arn, url, 0, PER_HALF)
        wait_until(lambda: len(viewer.store) == PER_HALF, timeout=60,
                   message="the first half stored")
        watcher.read_until(PER_HALF)
        watcher.close()  # the browser goes away...

        local.stop()  # ...and so does the endpoint
        consumer = viewer.consumers[0]
        wait_until(lambda: consumer.health.status == "DOWN", timeout=30,
                   message="the consumer to notice the outage")
        local = LocalSqs(port=port)
        assert local.start() == endpoint
        sns, sqs, arn, new_url = setup()
        assert new_url == url
        send(sns, sqs, arn, url, PER_HALF, PER_HALF + PER_HALF // 2)
        wait_until(lambda: len(viewer.store) == PER_HALF + PER_HALF // 2, timeout=60,
                   message="stored while the client was away")
        watcher.connect(after=watcher.last_seq)  # the browser comes back
        send(sns, sqs, arn, url, PER_HALF + PER_HALF // 2, 2 * PER_HALF)
        wait_until(lambda: len(viewer.store) == 2 * PER_HALF, timeout=60,
                   message="the second half stored")
        watcher.read_until(2 * PER_HALF)
        wait_until(lambda: viewer.store.duplicates == REDELIVERED, timeout=30,
                   message="the redeliveries seen and dropped")
    finally:
        server.stop()
        viewer.stop(timeout=10)
        local.stop()

    stored = Counter(m.message_id for m in viewer.store.query(Filter(), None)[0])
    assert len(published) == len(set(published)) == 2 * PER_HALF
    assert stored == Counter(published), "every published message in the buffer exactly once"
    assert watcher.seen == Counter(published), "the client saw every message exactly once"
    statuses = Counter(m.status for m in viewer.store.query(Filter(), None)[0])
    assert set(statuses) == {"valid", "invalid", "unparseable"}
    print(f"chaos: published {len(published)}, redelivered {REDELIVERED}, stored "
          f"{len(stored)}, seen by the client {sum(watcher.seen.values())}, statuses "
          f"{dict(statuses)}, consumer errors {viewer.consumers[0].health.errors}")
