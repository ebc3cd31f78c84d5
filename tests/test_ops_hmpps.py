"""HMPPS_SQS_* conventions: parsing, clear errors, and a real run against the local endpoint."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import event, wait_until
from viewer.hmpps import HmppsConfigError, load


def fetch(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


def test_queues_topics_region_and_localstack_endpoint_are_read():
    cfg = load({
        "HMPPS_SQS_PROVIDER": "localstack", "HMPPS_SQS_LOCALSTACK_URL": "http://ls:4566",
        "HMPPS_SQS_QUEUES_HMPPSDOMAINEVENTQUEUE_QUEUE_NAME": "my-queue",
        "HMPPS_SQS_QUEUES_HMPPSDOMAINEVENTQUEUE_DLQ_NAME": "my-queue-dlq",
        "HMPPS_SQS_QUEUES_AUDIT_QUEUE_QUEUE_NAME": "audit",
        "HMPPS_SQS_QUEUES_AUDIT_QUEUE_SUBSCRIBE_TOPIC_ID": "auditevents",
        "HMPPS_SQS_TOPICS_DOMAINEVENTS_ARN": "arn:aws:sns:eu-west-2:000000000000:domain",
        "HMPPS_SQS_TOPICS_AUDITEVENTS_ARN": "arn:aws:sns:eu-west-2:000000000000:audit",
        "HMPPS_SQS_USE_WEB_TOKEN": "true", "OTHER": "x",
    })
    assert cfg.provider == "localstack" and cfg.endpoint_url == "http://ls:4566"
    assert cfg.region == "eu-west-2"
    by_label = {q.label: q for q in cfg.queues}
    assert set(by_label) == {"hmppsdomaineventqueue", "audit_queue"}
    assert by_label["hmppsdomaineventqueue"].dlq == "my-queue-dlq"
    assert by_label["audit_queue"].topic_label == "auditevents"
    assert cfg.topic_label("arn:aws:sns:eu-west-2:000000000000:domain") == "domainevents"
    assert load({}).configured is False
    assert load({"HMPPS_SQS_REGION": "eu-west-1"}).region == "eu-west-1"


@pytest.mark.parametrize(("environ", "says"), [
    ({"HMPPS_SQS_PROVIDER": "gcp"}, "HMPPS_SQS_PROVIDER must be aws or localstack"),
    ({"HMPPS_SQS_QUEUES_EVENTS_DLQ_NAME": "x-dlq"},
     "HMPPS_SQS_QUEUES_EVENTS_QUEUE_NAME is missing"),
    ({"HMPPS_SQS_QUEUES_EVENTS_QUEUE_NAME": "x",
      "HMPPS_SQS_QUEUES_EVENTS_SUBSCRIBE_TOPIC_ID": "nope"}, "HMPPS_SQS_TOPICS_NOPE_ARN"),
    ({"HMPPS_SQS_TOPICS_T_ARN": "domain"}, "must be a topic ARN"),
])
def test_a_bad_configuration_names_the_variable(environ, says):
    with pytest.raises(HmppsConfigError, match=says):
        load(environ)


def hmpps_env(local_sqs, topic, **extra: str) -> dict[str, str]:
    return {"HMPPS_SQS_PROVIDER": "localstack", "HMPPS_SQS_LOCALSTACK_URL": local_sqs.url,
            "HMPPS_SQS_QUEUES_EVENTS_QUEUE_NAME": topic.queue_name,
            "HMPPS_SQS_QUEUES_EVENTS_DLQ_NAME": topic.queue_name + "-dlq",
            "HMPPS_SQS_TOPICS_DOMAINEVENTS_ARN": topic.arn, "VIEWER_SQS_WAIT_SECONDS": "1",
            **extra}


def test_the_viewer_runs_on_hmpps_variables_alone(viewer_process, local_sqs, topic):
    proc = viewer_process(["--port", "0"], env=hmpps_env(local_sqs, topic))
    assert "embedded" not in proc.output
    topic.publish(event("hmpps.config"))
    found = wait_until(lambda: fetch(proc.url + "/api/messages")["messages"],
                       message="the message through the HMPPS-configured queue")
    assert found[0]["source"] == "events"
    health = fetch(proc.url + "/health")
    assert {"queue-events", "dlq-events"} <= set(health["components"])
    assert fetch(proc.url + "/info")["sources"] == [
        {"label": "events", "dlq": topic.queue_name + "-dlq", "topic": "domainevents"}]
    assert proc.stop() == 0


def test_an_unknown_queue_stops_start_up_with_a_clear_message(local_sqs, topic):
    import os

    env = dict(os.environ, **hmpps_env(local_sqs, topic,
                                       HMPPS_SQS_QUEUES_EVENTS_QUEUE_NAME="not-there"))
    result = subprocess.run([sys.executable, "-m", "viewer", "--port", "0"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "queue 'not-there' of source 'events' (set by HMPPS_SQS_QUEUES_EVENTS_QUEUE_NAME) " \
           "does not exist" in result.stderr
