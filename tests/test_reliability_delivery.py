"""Delivery (issue 5, points 1-6): nothing acknowledged is lost, nothing is shown twice.

The process tests run ``python -m viewer serve`` against the local SQS; a test-only
environment variable (``VIEWER_TEST_HOLD_BEFORE_STORE``) parks the consumer between
receive and store so the test can kill or stop it exactly there.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
import uuid

import orjson
import pytest
from botocore.config import Config

from tests.conftest import aws_env, event, wait_until
from viewer.sources.embedded import local_client
from viewer.sources.localsqs import LocalSqs
from viewer.sources.sqs import (
    BOTO_CONFIG,
    TEST_HOLD_ENV,
    WAIT_SECONDS,
    Backoff,
    QueueRef,
    SqsConsumer,
)


def fresh_queue(sqs, visibility: int) -> str:
    """A queue of its own with the given visibility timeout; returns its URL."""
    return sqs.create_queue(QueueName="q-" + uuid.uuid4().hex[:10],
                            Attributes={"VisibilityTimeout": str(visibility)})["QueueUrl"]


def depth(sqs, url: str) -> tuple[int, int]:
    """(visible, in flight) on a queue."""
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (int(attrs["ApproximateNumberOfMessages"]),
            int(attrs["ApproximateNumberOfMessagesNotVisible"]))


def http_json(url: str):
    from urllib.request import urlopen

    with urlopen(url, timeout=10) as answer:  # noqa: S310 - a loopback test server
        return orjson.loads(answer.read())


def serve_args(url: str, wait: int = 1) -> list[str]:
    return ["serve", "--queue", f"q={url}", "--port", "0", "--sqs-wait-seconds", str(wait),
            "--spec-watch", "false"]


# -- 1. SIGKILL between receive and store --------------------------------------------------

@pytest.mark.slow
def test_sigkill_between_receive_and_store_loses_nothing(viewer_process, local_sqs, sqs):
    """The killed process never deleted it: it comes back after the visibility timeout, once."""
    url = fresh_queue(sqs, visibility=2)
    sent = sqs.send_message(QueueUrl=url, MessageBody=orjson.dumps(event("kill.me")).decode())
    env = aws_env(local_sqs)
    first = viewer_process(serve_args(url), {**env, TEST_HOLD_ENV: "0"})
    wait_until(lambda: "test hold: 1 received, 0 stored" in first.output, timeout=30,
               message="the consumer to receive and park before storing")
    assert http_json(first.url + "/api/messages")["total"] == 0
    assert depth(sqs, url) == (0, 1)  # received: invisible, not deleted
    first.stop(signal.SIGKILL)

    second = viewer_process(serve_args(url), env)
    found = wait_until(lambda: http_json(second.url + "/api/messages")["total"] == 1 and
                       http_json(second.url + "/api/messages"), timeout=30,
                       message="the message to come back after the visibility timeout")
    assert found["messages"][0]["messageId"] == sent["MessageId"]
    wait_until(lambda: depth(sqs, url) == (0, 0), message="the message deleted once stored")
    assert http_json(second.url + "/api/messages")["total"] == 1
    assert second.stop() == 0


# -- 2. redelivery is shown once, in the buffer and on every client -------------------------

def test_redelivery_is_shown_once_to_clients(live, topic, sqs):
    """The same SNS MessageId delivered again adds nothing to the buffer or any client."""
    server = live({"QUEUES": [topic.queue_url]})
    viewer = server.app.extensions["viewer"]
    watchers = [server.ws(), server.ws()]
    for ws in watchers:
        ws.subscribe({})
        ws.receive_type("messages/reset")
    body = orjson.dumps(event("once.only")).decode()
    message_id = topic.publish(event("once.only"))
    envelope = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic.arn,
                "Message": body, "Timestamp": "2024-10-14T14:09:55.000Z",
                "MessageAttributes": {"eventType": {"Type": "String", "Value": "once.only"}}}
    for _ in range(2):
        sqs.send_message(QueueUrl=topic.queue_url, MessageBody=orjson.dumps(envelope).decode())
    wait_until(lambda: viewer.store.duplicates == 2, message="both redeliveries seen")
    topic.publish(event("the.marker"))
    for ws in watchers:
        seen = []
        while not seen or seen[-1] != "the.marker":
            seen.append(ws.receive_type("messages/add")["payload"]["eventType"])
        assert seen == ["once.only", "the.marker"]
        ws.close()
    assert [m.event_type for m in viewer.store.query(_everything())[0]] == ["the.marker",
                                                                           "once.only"]


def _everything():
    from viewer.filters import Filter

    return Filter()


# -- 3. failed deletes ---------------------------------------------------------------------

def test_failed_delete_is_logged_counted_and_not_duplicated(app_factory, sqs, caplog):
    """A Failed entry in DeleteMessageBatch is logged and counted; the redelivery is deduped.

    Moto fails a delete for real when the receipt handle is not one it issued, so the test
    spoils the handle after the message is stored, standing in for an expired one.
    """
    url = fresh_queue(sqs, visibility=1)
    app = app_factory({"QUEUES": [f"del={url}"]}, start=False)
    viewer = app.extensions["viewer"]
    store_them = viewer.handle_batch
    spoiled = []

    def handle_then_spoil(batch, label):
        taken = store_them(batch, label)
        if not spoiled and taken:
            spoiled.append(batch[0]["MessageId"])
            batch[0]["ReceiptHandle"] = "spoiled-" + batch[0]["ReceiptHandle"][:20]
        return taken

    viewer.handle_batch = handle_then_spoil
    with caplog.at_level(logging.WARNING, logger="viewer.sources.sqs"):
        viewer.start()
        sent = sqs.send_message(QueueUrl=url, MessageBody=orjson.dumps(event("del.me")).decode())
        consumer = viewer.consumers[0]
        wait_until(lambda: consumer.health.delete_failures == 1, message="the failed delete")
        wait_until(lambda: viewer.store.duplicates == 1, timeout=20,
                   message="the redelivery after the visibility timeout")
        wait_until(lambda: depth(sqs, url) == (0, 0), message="the redelivery deleted")
    assert spoiled == [sent["MessageId"]]
    assert len(viewer.store) == 1
    assert viewer.counters[("error:DeleteFailed", "del")] == 1
    assert consumer.alive and consumer.health.status == "UP"
    said = [r.getMessage() for r in caplog.records if "delete failed" in r.getMessage()]
    assert len(said) == 1 and sent["MessageId"] in said[0]
    assert "ReceiptHandleIsInvalid" in said[0]
    details = wait_until(lambda: (h := app.test_client().get("/health").get_json())
                         ["components"]["queue-del"]["details"]["deleteFailures"] == 1 and h,
                         message="the failure counted in /health")
    assert details["status"] == "UP"


# -- 4. backoff ------------------------------------------------------------------------------

def test_backoff_is_capped_exponential_with_jitter():
    """Ceilings double up to the cap; each wait lies in [ceiling/2, ceiling]; reset restarts."""
    top = Backoff(base=0.5, cap=8.0, rand=lambda: 1.0)
    assert [top.next_delay() for _ in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    low = Backoff(base=0.5, cap=8.0, rand=lambda: 0.0)
    assert [low.next_delay() for _ in range(6)] == [0.25, 0.5, 1, 2, 4, 4]
    jittered = Backoff(base=0.5, cap=8.0)
    delays = [jittered.next_delay() for _ in range(200)]
    assert all(4 <= d <= 8 for d in delays[5:])
    assert len(set(delays[5:])) > 100  # jitter: clients do not retry in lockstep
    jittered.reset()
    assert 0.25 <= jittered.next_delay() <= 0.5


def test_read_timeout_exceeds_the_long_poll():
    """botocore's read timeout outlasts the longest poll, and a client that does not is refused."""
    assert BOTO_CONFIG.read_timeout > WAIT_SECONDS
    short = local_client("sqs", "http://127.0.0.1:9")
    short.meta.config.read_timeout = 10  # as if configured with a 10 s read timeout
    with pytest.raises(ValueError, match="read timeout"):
        SqsConsumer(short, QueueRef.parse("q"), lambda batch, _: len(batch), wait_seconds=20)
    with pytest.raises(ValueError, match="0-20"):
        SqsConsumer(local_client("sqs", "http://127.0.0.1:9"), QueueRef.parse("q"),
                    lambda batch, _: len(batch), wait_seconds=21)


def test_the_viewers_own_client_outlasts_its_poll(monkeypatch, local_sqs, topic):
    """The client the viewer builds from boto3's chain has the long read timeout."""
    from viewer.core import Viewer
    from viewer.settings import resolve

    for name, value in aws_env(local_sqs).items():
        monkeypatch.setenv(name, value)
    viewer = Viewer(resolve({"QUEUES": [topic.queue_url], "SQS_WAIT_SECONDS": 20,
                             "SPEC_WATCH": False}, environ={}))
    viewer.start()
    try:
        consumer = viewer.consumers[0]
        assert consumer.client.meta.config.read_timeout > consumer.wait_seconds == 20
    finally:
        viewer.stop(timeout=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_endpoint_that_is_down_is_retried_with_backoff_and_recovers():
    """No spinning while the endpoint is down (calls counted), and recovery without restart."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # One attempt per call, so the calls counted are the consumer's own retries.
    client = _single_attempt_client(endpoint)
    calls: list[float] = []
    client.meta.events.register("before-call.sqs.ReceiveMessage",
                                lambda **_: calls.append(time.monotonic()))
    stored = []

    def store(batch, _label):
        stored.extend(m["MessageId"] for m in batch)
        return len(batch)

    name = "down-" + uuid.uuid4().hex[:8]
    consumer = SqsConsumer(client, QueueRef.parse(f"{endpoint}/123456789012/{name}"), store,
                           wait_seconds=1, backoff=Backoff(base=0.05, cap=0.4))
    consumer.start()
    local = None
    try:
        wait_until(lambda: len(calls) >= 8, timeout=30, message="eight failed polls")
        assert consumer.health.status == "DOWN" and consumer.health.reason
        report = consumer.queue_health()
        assert report["status"] == "DOWN" and "cannot reach queue" in report["reason"]
        gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)][:7]
        floors = [min(0.4, 0.05 * 2 ** i) / 2 for i in range(len(gaps))]
        assert all(gap >= floor * 0.9 for gap, floor in zip(gaps, floors, strict=True)), gaps
        assert consumer.health.errors == len(calls) or consumer.health.errors == len(calls) - 1

        local = LocalSqs(port=port)
        local.start()
        sqs = local_client("sqs", endpoint)
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        sent = sqs.send_message(QueueUrl=url, MessageBody="{}")["MessageId"]
        wait_until(lambda: stored == [sent], timeout=30, message="recovery without restart")
        wait_until(lambda: consumer.backoff.failures == 0, message="the backoff reset")
        assert consumer.alive and consumer.health.status == "UP"
    finally:
        consumer.stop(10)
        if local is not None:
            local.stop()


def _single_attempt_client(endpoint: str):
    import boto3

    return boto3.session.Session().client(
        "sqs", endpoint_url=endpoint, region_name="eu-west-2",
        aws_access_key_id="local", aws_secret_access_key="local",  # noqa: S106
        config=BOTO_CONFIG.merge(Config(retries={"max_attempts": 1, "mode": "standard"},
                                        connect_timeout=1)))


# -- 5. SIGTERM --------------------------------------------------------------------------------

@pytest.mark.slow
def test_sigterm_flushes_deletes_and_releases_unstored_messages(viewer_process, local_sqs, sqs):
    """Stored messages are deleted, the rest made visible at once (visibility 0), exit 0."""
    url = fresh_queue(sqs, visibility=600)
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": orjson.dumps(event(f"term.{i}")).decode()}
        for i in range(3)])
    proc = viewer_process(serve_args(url), {**aws_env(local_sqs), TEST_HOLD_ENV: "1"})
    wait_until(lambda: "test hold: 3 received, 1 stored" in proc.output, timeout=30,
               message="one message stored and two parked")
    assert depth(sqs, url) == (0, 3)
    assert proc.stop(signal.SIGTERM, timeout=30) == 0
    # Visible again now, although the visibility timeout is ten minutes: released, not lost.
    assert depth(sqs, url) == (2, 0)
    back = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(orjson.loads(m["Body"])["eventType"] for m in back) == ["term.1", "term.2"]
    assert "released 2 unstored messages" in proc.output


@pytest.mark.slow
def test_sigterm_during_a_long_poll_exits_within_30_seconds(viewer_process, local_sqs, sqs):
    """With the production 20 s wait, polling stops within the wait and the process exits."""
    url = fresh_queue(sqs, visibility=30)
    proc = viewer_process(serve_args(url, wait=20), aws_env(local_sqs))
    wait_until(lambda: http_json(proc.url + "/health/ping")["status"] == "UP",
               message="the server up")
    assert proc.stop(signal.SIGTERM, timeout=30) == 0


# -- 6. health -----------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_health_down_with_reason_when_a_consumer_dies(app_factory, topic):
    """A dead consumer makes /health DOWN (503) with the reason; /health/ping stays UP."""
    app = app_factory({"QUEUES": [f"dies={topic.queue_url}"]}, start=False)
    viewer = app.extensions["viewer"]

    def broken(_batch, _label):
        raise RuntimeError("a bug in the pipeline")

    viewer.handle_batch = broken
    viewer.start()
    topic.publish(event())
    client = app.test_client()
    answer = wait_until(lambda: (r := client.get("/health")).status_code == 503 and r,
                        message="/health DOWN")
    queue = answer.get_json()["components"]["queue-dies"]
    assert queue["status"] == "DOWN"
    assert "consumer died" in queue["details"]["reason"]
    assert "a bug in the pipeline" in queue["details"]["reason"]
    assert client.get("/health/ping").get_json() == {"status": "UP"}


def test_health_down_when_the_queue_cannot_be_reached(app_factory, topic, sqs):
    """A queue that disappears under a running consumer: DOWN with the reason, ping UP."""
    app = app_factory({"QUEUES": [f"gone={topic.queue_url}"]})
    client = app.test_client()
    wait_until(lambda: client.get("/health").status_code == 200, message="UP first")
    sqs.delete_queue(QueueUrl=topic.queue_url)
    answer = wait_until(lambda: (r := client.get("/health")).status_code == 503 and r,
                        timeout=20, message="/health DOWN")
    details = answer.get_json()["components"]["queue-gone"]["details"]
    assert details["status"] == "DOWN"
    assert "NonExistentQueue" in details["reason"] or "QueueDoesNotExist" in details["reason"]
    assert client.get("/health/ping").status_code == 200


def test_health_shows_each_queue_its_depth_in_flight_and_dlq(app_factory, topic, sqs):
    """Per queue: name, messages on queue, in flight, DLQ name and depth."""
    dlq_url = sqs.get_queue_url(QueueName=topic.queue_name + "-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq_url, MessageBody="poison")
    app = app_factory({"QUEUES": [f"mine={topic.queue_url}"]}, start=False)
    viewer = app.extensions["viewer"]
    hold = threading.Event()
    real = viewer.handle_batch

    def slow_store(batch, label):
        hold.wait(10)  # keep one message in flight while /health looks
        return real(batch, label)

    viewer.handle_batch = slow_store
    viewer.start()
    topic.publish(event("in.flight"))
    try:
        details = wait_until(
            lambda: (d := app.test_client().get("/health").get_json()["components"]
                     ["queue-mine"]["details"])["messagesInFlight"] >= 1 and d,
            message="a message in flight")
        assert details["queueName"] == topic.queue_name
        assert details["messagesOnQueue"] >= 0
        assert details["dlqName"] == topic.queue_name + "-dlq"
        assert details["dlqDepth"] == 1
    finally:
        hold.set()
