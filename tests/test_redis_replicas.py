"""Replicas sharing one queue and one Redis, restarts, and a Redis outage, end to end."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from simple_websocket import Client as WsClient

from tests.conftest import Ws, aws_env, event, wait_until
from tests.test_ops_metrics import parse

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def fetch(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


def received_types(url: str) -> dict[str, float]:
    """Event type -> messages this replica's consumer stored, from its /metrics."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:  # noqa: S310
        samples = parse(response.read().decode())
    out = {}
    for key, value in samples.items():
        if key.startswith("events_viewer_messages_received_total{"):
            out[key.split('event_type="', 1)[1].split('"', 1)[0]] = value
    return out


def consumed(*urls: str) -> float:
    return sum(sum(received_types(url).values()) for url in urls)


def history(url: str) -> list[tuple[int, str]]:
    found = fetch(url + "/api/messages?limit=1000")["messages"]
    return [(m["seq"], m["messageId"]) for m in reversed(found)]


def test_a_client_on_one_replica_sees_what_the_other_consumed(viewer_process, local_sqs,
                                                              topic, redis_url):
    args = ["serve", "--port", "0", "--queue", f"shared={topic.queue_name}",
            "--sqs-wait-seconds", "1", "--store", redis_url]
    a = viewer_process(args, env=aws_env(local_sqs))
    b = viewer_process(args, env=aws_env(local_sqs))
    ws = Ws(WsClient.connect(a.url.replace("http", "ws") + "/ws", headers={"Origin": a.url}))
    ws.subscribe()
    assert ws.receive_type("messages/reset")["payload"]["total"] == 0
    published: list[str] = []
    # SQS shares the queue between the two consumers; publish until B has taken some.
    while len(published) < 60 and len(received_types(b.url)) < 3:
        for _ in range(5):
            published.append(f"replica.{len(published)}")
            topic.publish(event(published[-1]))
        wait_until(lambda: consumed(a.url, b.url) == len(published), message="both to consume")
    by_b = set(received_types(b.url))
    assert len(by_b) >= 3, "replica B consumed too little to show anything"
    frames = [ws.receive_type("messages/add")["payload"] for _ in published]
    ws.close()
    seqs = [m["seq"] for m in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert {m["eventType"] for m in frames} == set(published)
    assert by_b <= {m["eventType"] for m in frames}  # consumed by B, streamed by A
    assert history(a.url) == history(b.url) == [(m["seq"], m["messageId"]) for m in frames]
    # A restart keeps the history: a new replica loads it from Redis.
    before = history(a.url)
    assert a.stop() == 0
    c = viewer_process(args, env=aws_env(local_sqs))
    assert history(c.url) == before
    assert fetch(c.url + "/health/readiness") == {"status": "UP"}


def health(client) -> tuple[int, dict]:
    answer = client.get("/health")
    return answer.status_code, answer.get_json()


def test_while_redis_is_down_messages_stay_on_the_queue(app_factory, topic, sqs, own_redis):
    sqs.set_queue_attributes(QueueUrl=topic.queue_url, Attributes={"VisibilityTimeout": "2"})
    app = app_factory({"QUEUES": [topic.queue_url], "STORE": own_redis.url + "?prefix=o"})
    viewer = app.extensions["viewer"]
    viewer.journal.backoff.cap = 1.0
    client = app.test_client()

    def types() -> list[str]:
        return [m["eventType"] for m in client.get("/api/messages").get_json()["messages"]]

    topic.publish(event("outage.before"))
    wait_until(lambda: types() == ["outage.before"], message="the first message")
    first_seq = client.get("/api/messages").get_json()["messages"][0]["seq"]
    own_redis.stop()
    topic.publish(event("outage.during"))
    wait_until(lambda: any(k[0].startswith("error:") for k in viewer.counters),
               message="the consumer to meet the outage")
    wait_until(lambda: health(client)[0] == 503, message="health to say DOWN")
    status, report = health(client)
    assert report["components"]["store"]["status"] == "DOWN"
    assert types() == ["outage.before"]  # not stored, so not deleted either
    attrs = sqs.get_queue_attributes(QueueUrl=topic.queue_url, AttributeNames=["All"])[
        "Attributes"]
    assert int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]) == 1
    metrics = parse(client.get("/metrics").get_data(as_text=True))
    assert metrics["events_viewer_store_up"] == 0
    own_redis.start()
    wait_until(lambda: types() == ["outage.during", "outage.before"], timeout=45,
               message="the message to come back from SQS once Redis is back")
    wait_until(lambda: health(client)[0] == 200, message="health to say UP again")
    assert client.get("/api/messages").get_json()["messages"][0]["seq"] > first_seq
    wait_until(lambda: int(sqs.get_queue_attributes(
        QueueUrl=topic.queue_url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"]) == 0, message="the queue to drain")
