"""The embedded endpoint forgets what moto would keep forever, so it can run all day."""

from __future__ import annotations

import boto3
from moto import mock_aws
from moto.sns.models import sns_backends
from moto.sqs.models import Message as SqsMessage
from moto.sqs.models import sqs_backends

from viewer.sources.embedded import REGION, create_topic_and_queue, publish
from viewer.sources.localsqs import trim_once


def test_trim_keeps_per_message_state_bounded():
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic_arn, queue_url = create_topic_and_queue(sns, sqs)
        for i in range(60):
            publish(sns, topic_arn, "trim.me", f'{{"n": {i}}}')
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
                "Messages", [])
            for m in messages:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        assert len(SqsMessage.instances_tracked) > 50
        trim_once(sns_backends, sqs_backends, keep=5)
        assert len(SqsMessage.instances_tracked) <= 50
        backend = sns_backends["123456789012"][REGION]
        assert len(backend._message_public_keys) <= 5
        assert all(len(t.sent_notifications) <= 5 for t in backend.topics.values())
        # The endpoint still works after a trim.
        publish(sns, topic_arn, "after.trim", "{}")
        assert sqs.receive_message(QueueUrl=queue_url).get("Messages")
