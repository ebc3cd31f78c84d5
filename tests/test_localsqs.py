"""The embedded endpoint forgets what moto would keep forever, so it can run all day."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from moto import mock_aws
from moto.sns import models as sns_models
from moto.sns.models import sns_backends
from moto.sqs.models import Message as SqsMessage
from moto.sqs.models import sqs_backends

from viewer.sources.embedded import REGION, create_topic_and_queue, publish
from viewer.sources.localsqs import stable_signing_certs, trim_once


@pytest.fixture
def moto_topic():
    """(sns, sqs, topic ARN, queue URL) in moto, in process: the parts localsqs patches."""
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        yield (sns, sqs, *create_topic_and_queue(sns, sqs))


def test_trim_keeps_per_message_state_bounded(moto_topic):
    sns, sqs, topic_arn, queue_url = moto_topic
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


def test_notifications_share_one_signing_certificate(monkeypatch: pytest.MonkeyPatch, moto_topic):
    # Restored after the test: stable_signing_certs patches moto for the whole process.
    monkeypatch.setattr(sns_models.Subscription, "get_post_data",
                        sns_models.Subscription.get_post_data)
    stable_signing_certs()
    stable_signing_certs()  # idempotent: not wrapped twice
    sns, sqs, topic_arn, queue_url = moto_topic
    for i in range(5):
        publish(sns, topic_arn, "one.cert", f'{{"n": {i}}}')
    bodies = []
    while len(bodies) < 5:
        for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                     WaitTimeSeconds=1).get("Messages", []):
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    assert len({b["SigningCertURL"] for b in bodies}) == 1
    keys = sns_backends["123456789012"][REGION]._message_public_keys
    assert len(keys) == 1  # the per-message certificates were dropped
    cert = x509.load_pem_x509_certificate(keys[bodies[0]["SigningCertURL"].rsplit("/")[-1]])
    for b in bodies:  # the one certificate verifies every signature, as in SNS
        signed = "".join(f"{k}\n{b[k]}\n" for k in
                         ("Message", "MessageId", "Timestamp", "TopicArn", "Type"))
        cert.public_key().verify(base64.b64decode(b["Signature"]), signed.encode(),
                                 padding.PKCS1v15(), hashes.SHA256())
