"""The embedded default: a local SNS topic with a subscribed SQS queue, and a demo publisher."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import boto3

from viewer.demo.events import DemoTraffic
from viewer.sources.localsqs import LocalSqs
from viewer.sources.sqs import BOTO_CONFIG, QueueRef

log = logging.getLogger(__name__)

REGION = "eu-west-2"
TOPIC = "hmpps-domain-events"
QUEUE = "hmpps-domain-events-viewer"
DLQ = QUEUE + "-dlq"


def local_client(service: str, endpoint: str) -> Any:
    """A boto3 client for the local endpoint (dummy credentials; nothing leaves loopback)."""
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name=REGION, config=BOTO_CONFIG,
        aws_access_key_id="local", aws_secret_access_key="local",  # noqa: S106 - not a secret
    )


def create_topic_and_queue(sns: Any, sqs: Any, topic: str = TOPIC, queue: str = QUEUE,
                           raw: bool = False) -> tuple[str, str]:
    """(topic ARN, queue URL): a queue with a DLQ, subscribed to the topic as in production."""
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    dlq_url = sqs.create_queue(QueueName=queue + "-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=queue, Attributes={
        "VisibilityTimeout": "30",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
    })["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true" if raw else "false"})
    return topic_arn, queue_url


def publish(sns: Any, topic_arn: str, event_type: str | None, text: str) -> str:
    """Publish one event with its ``eventType`` attribute, as HMPPS publishers do."""
    attributes = {}
    if event_type:
        attributes["eventType"] = {"DataType": "String", "StringValue": event_type}
    return sns.publish(TopicArn=topic_arn, Message=text, MessageAttributes=attributes)[
        "MessageId"]


class DemoPublisher:
    """Publishes demo traffic at ``rate`` events per second until stopped."""

    def __init__(self, sns: Any, topic_arn: str, rate: float,
                 traffic: DemoTraffic | None = None) -> None:
        self.sns, self.topic_arn, self.rate = sns, topic_arn, rate
        self.traffic = traffic or DemoTraffic()
        self.published = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start publishing in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="demo-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop publishing."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        if self.rate <= 0:
            return
        interval = 1.0 / self.rate
        # Paced by the clock, not by a fixed sleep after each publish: a publish takes tens
        # of milliseconds on a busy machine, and "30/s" had come out as 17/s.
        due = time.monotonic() + interval
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            # After a stall (the endpoint restarting), carry on from now rather than burst.
            due = max(due + interval, time.monotonic() - 1.0)
            event_type, text = self.traffic.next()
            try:
                publish(self.sns, self.topic_arn, event_type, text)
                self.published += 1
            except Exception as exc:  # the endpoint may be restarting: keep trying
                log.warning("demo publish failed: %s", exc)


class Embedded:
    """Starts the local endpoint, the topic and queue, and the demo publisher."""

    def __init__(self, rate: float = 1.5, port: int = 0) -> None:
        self.rate = rate
        self.local = LocalSqs(port=port)
        self.endpoint: str | None = None
        self.publisher: DemoPublisher | None = None
        self.topic_arn: str | None = None
        self.queue_url: str | None = None

    def start(self) -> QueueRef:
        """Start everything; return the queue the viewer should watch."""
        self.endpoint = self.local.start()
        sns = local_client("sns", self.endpoint)
        sqs = local_client("sqs", self.endpoint)
        self.topic_arn, self.queue_url = create_topic_and_queue(sns, sqs)
        self.publisher = DemoPublisher(sns, self.topic_arn, self.rate)
        self.publisher.start()
        log.info("embedded SQS/SNS on %s, demo traffic at %.1f/s", self.endpoint, self.rate)
        return QueueRef(label="demo", name_or_url=self.queue_url, dlq=DLQ)

    def sqs_client(self) -> Any:
        """A client for the embedded endpoint."""
        assert self.endpoint is not None
        return local_client("sqs", self.endpoint)

    def stop(self) -> None:
        """Stop the publisher and the endpoint."""
        if self.publisher is not None:
            self.publisher.stop()
        self.local.stop()
