"""Figure 3: SNS publish -> websocket frame vs SNS publish -> bare SQS receive, side by side.

One topic has two subscribed queues: the viewer (a child process) reads one, a bare boto3
receive + delete loop reads the other, so every publish is timed on both paths at once.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson

from bench.common import Child, Mode, Row, event_body, percentile
from bench.wsclients import Clients, sent_at, summary
from viewer.sources.embedded import create_topic_and_queue, local_client, publish
from viewer.sources.localsqs import LocalSqs


class BareReceiver:
    """Long-polls a queue, deletes what it got and notes publish -> receive latency."""

    def __init__(self, sqs: Any, url: str) -> None:
        self.sqs, self.url = sqs, url
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bare-receiver")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            answer = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                              WaitTimeSeconds=1, MessageAttributeNames=["All"],
                                              AttributeNames=["All"])
            now = time.time()
            messages = answer.get("Messages", [])
            for m in messages:
                sent = sent_at(m["Body"].replace('\\"', '"').encode())
                if sent is not None:
                    self.latencies.append(now - sent)
            if messages:
                self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)])

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        self._thread.join(5)


def publish_at(sns: Any, topic: str, rate: float, seconds: float) -> int:
    """Publish ``rate`` events a second for ``seconds``, each stamped just before sending."""
    import random

    rng = random.Random(5)
    templates = [event_body(rng) for _ in range(200)]
    start = time.monotonic()
    total = int(rate * seconds)
    for i in range(total):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing the publisher, not synchronising a test
        body = templates[i % len(templates)]
        body["additionalInformation"]["sentAt"] = time.time()
        publish(sns, topic, body["eventType"], orjson.dumps(body).decode())
    return total


def run(mode: Mode, local: LocalSqs | None = None) -> list[Row]:
    """p50/p99 at 50 messages/s with 10 clients; target p99 <= bare p99 + 10 ms."""
    clients = mode.pick(10, 10, 2)
    rate = mode.pick(50.0, 50.0, 10.0)
    seconds = mode.pick(40.0, 10.0, 1.0)
    own = local is None
    local = local or LocalSqs()
    if own:
        local.start()
    assert local.url is not None
    sns, sqs = local_client("sns", local.url), local_client("sqs", local.url)
    topic, viewer_queue = create_topic_and_queue(sns, sqs, "bench-latency", "bench-latency-v")
    _, bare_queue = create_topic_and_queue(sns, sqs, "bench-latency", "bench-latency-b")
    server = Child(["-m", "bench.viewer_server", "--queue", viewer_queue,
                    "--endpoint", local.url])
    bare = BareReceiver(sqs, bare_queue)
    try:
        assert server.url is not None
        group = Clients(server.url, clients)
        group.wait_subscribed()
        sent = publish_at(sns, topic, rate, seconds)
        group.wait_added(sent, timeout=30)
        ours = summary(group.stop())
        deadline = time.monotonic() + 30
        while len(bare.latencies) < sent and time.monotonic() < deadline:
            time.sleep(0.05)  # the bare loop drains its queue on its own; give it time
    finally:
        bare.stop()
        server.stop()
        if own:
            local.stop()
    p99, bare_p99 = percentile(ours["latencies"], 99), percentile(bare.latencies, 99)
    p50, bare_p50 = percentile(ours["latencies"], 50), percentile(bare.latencies, 50)
    complete = sum(ours["added"]) == sent * clients
    return [
        Row("3", f"latency p99 publish->ws ({clients} clients, {rate:g}/s)", p99 * 1000,
            bare_p99 * 1000, "ms", "<= bare + 10 ms", p99 <= bare_p99 + 0.010,
            notes=f"{sum(ours['added'])}/{sent * clients} frames; bare got "
                  f"{len(bare.latencies)}/{sent}"
                  + ("" if complete else " (frames missing)")),
        Row("3", "latency p50 publish->ws", p50 * 1000, bare_p50 * 1000, "ms", "(report)",
            None),
    ]
