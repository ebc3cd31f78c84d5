"""/health (components, cache), the probes and /info, against a real local SQS."""

from __future__ import annotations

import pytest

from tests.conftest import event, wait_until
from viewer import __version__
from viewer.core import Viewer
from viewer.hmpps import HmppsConfigError
from viewer.settings import resolve
from viewer.web.health import HealthCache, registry_health


def test_health_has_a_component_per_queue_dlq_store_and_registry(app_factory, topic):
    client = app_factory({"QUEUES": [f"mine={topic.queue_name}"]}).test_client()
    answer = client.get("/health")
    report = answer.get_json()
    assert answer.status_code == 200 and report["status"] == "UP"
    assert set(report["components"]) == {"queue-mine", "dlq-mine", "store", "specs"}
    assert report["components"]["dlq-mine"]["details"] == {
        "dlqName": topic.queue_name + "-dlq", "messagesOnDlq": 0}
    assert report["components"]["queue-mine"]["details"]["queueName"] == topic.queue_name


def test_health_is_cached_for_about_two_seconds(app_factory, topic):
    viewer = app_factory({"QUEUES": [topic.queue_url]}).extensions["viewer"]
    calls = []
    real = viewer.health
    viewer.health = lambda: calls.append(1) or real()
    now = [100.0]
    cache = HealthCache(viewer, clock=lambda: now[0])
    first = cache.report()
    now[0] += 1.9
    assert cache.report() is first and len(calls) == 1
    now[0] += 0.2
    assert cache.report() is not first and len(calls) == 2


def test_the_registry_component_uses_its_own_report_when_it_has_one():
    class Own:
        def health(self):
            return {"status": "DOWN", "details": {"reason": "spec archive unreachable"}}

    class Broken:
        def health(self):
            raise RuntimeError("boom")

    class Plain:
        loaded = True

    assert registry_health(Own())["details"]["reason"] == "spec archive unreachable"
    assert registry_health(Broken())["status"] == "DOWN"
    assert registry_health(Plain()) == {"status": "UP", "details": {"specsLoaded": True}}


def test_ping_info_and_readiness_before_and_after_start(app_factory, topic):
    app = app_factory({"QUEUES": [topic.queue_url]}, start=False)
    client = app.test_client()
    assert client.get("/health/ping").get_json() == {"status": "UP"}
    info = client.get("/info").get_json()
    assert info["build"] == {"name": "hmpps-events-viewer", "version": __version__}
    not_ready = client.get("/health/readiness")
    assert not_ready.status_code == 503
    assert "viewer not started" in not_ready.get_json()["details"]["reasons"]
    app.extensions["viewer"].start()
    assert client.get("/health/readiness").status_code == 200
    assert client.get("/health/liveness").status_code == 200


# The dead thread's exception is the point of the test, not a stray failure.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_liveness_fails_when_a_consumer_thread_dies(app_factory, topic):
    app = app_factory({"QUEUES": [topic.queue_url]})
    consumer = app.extensions["viewer"].consumers[0]

    def broken(_message, _label):
        raise RuntimeError("a bug, not an outage")

    consumer.handle = broken
    topic.publish(event())
    wait_until(lambda: not consumer.alive, message="the consumer to die")
    answer = app.test_client().get("/health/liveness")
    assert answer.status_code == 503
    assert answer.get_json()["details"]["reasons"] == [f"consumer {topic.queue_name}"]


def test_a_queue_that_does_not_exist_fails_start_up(local_sqs):
    from viewer.sources.embedded import local_client

    values = resolve({"QUEUES": ["audit=no-such-queue"], "SQS_WAIT_SECONDS": 1}, environ={})
    viewer = Viewer(values, sqs_client=local_client("sqs", local_sqs.url))
    with pytest.raises(HmppsConfigError, match="queue 'no-such-queue' of source 'audit'"):
        viewer.start()
    assert viewer.consumers == []
