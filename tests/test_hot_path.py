"""The flat hot path in ``sns.from_sqs`` gives exactly what the general path gives.

``from_sqs`` with an ``EnvelopeCache`` takes the common case (a compact SNS notification
that passes) without the general functions; anything else falls back to them. Without a
cache it always takes the general path, the reference. Both must build the same Message.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_fuzz_envelope import anything, envelopes, json_values
from viewer.demo.events import DemoTraffic
from viewer.message import Message
from viewer.sns import EnvelopeCache, from_sqs
from viewer.specs.registry import SpecRegistry
from viewer.specs.service import DEMO_SPECS
from viewer.validation import Judge

REGISTRY = SpecRegistry([str(DEMO_SPECS)])
REGISTRY.reload()
JUDGE = Judge(REGISTRY)
TOPIC = "arn:aws:sns:eu-west-2:000000000000:hmpps-domain-events"


def notification(raw: str, n: int, event_type: str | None, **extra: Any) -> dict[str, Any]:
    """An SQS message holding an SNS notification, as a queue receives it."""
    envelope: dict[str, Any] = {
        "Type": "Notification", "MessageId": f"00000000-0000-4000-8000-{n:012d}",
        "TopicArn": TOPIC, "Message": raw, "Timestamp": "2024-10-14T15:09:54.123Z",
        "SignatureVersion": "1", "Signature": "c2lnbmF0dXJl",
        "SigningCertURL": "https://sns.eu-west-2.amazonaws.com/cert.pem",
        "UnsubscribeURL": "https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe",
        **extra}
    if event_type is not None:
        envelope["MessageAttributes"] = {"eventType": {"Type": "String", "Value": event_type}}
    return {"MessageId": f"sqs-{n}", "ReceiptHandle": "r", "Body": json.dumps(envelope)}


def fields(m: Message) -> dict[str, Any]:
    """Everything a client sees of a message, except when it arrived."""
    out = orjson.loads(m.to_json())
    del out["receivedAt"]
    return out


def assert_same(sqs_message: dict[str, Any], shapes: EnvelopeCache) -> Message:
    fast = from_sqs(sqs_message, "q", JUDGE, shapes)
    general = from_sqs(orjson.loads(orjson.dumps(sqs_message)), "q", JUDGE)
    assert fields(fast) == fields(general)
    assert fast.envelope_dict() == general.envelope_dict()
    return fast


def test_demo_traffic_takes_the_fast_path_and_agrees():
    shapes = EnvelopeCache()
    demo = DemoTraffic(seed=7, broken_share=0.3)
    statuses = set()
    for n in range(400):
        event_type, raw = demo.next()
        m = assert_same(notification(raw, n, event_type), shapes)
        statuses.add(m.status)
    assert {"valid", "invalid"} <= statuses
    assert 0 < len(shapes) <= 20  # one shape per event type, not one per message


def test_shapes_are_shared_and_give_each_message_its_own_id_and_time():
    shapes = EnvelopeCache()
    demo = DemoTraffic(seed=3, broken_share=0)
    event_type, raw = demo.next()
    a = from_sqs(notification(raw, 1, event_type), "q", JUDGE, shapes)
    b = from_sqs(notification(raw, 2, event_type), "q", JUDGE, shapes)
    assert a.envelope is b.envelope and a.attributes is b.attributes
    assert a.envelope_dict()["MessageId"] != b.envelope_dict()["MessageId"]
    assert list(a.envelope_dict()) == ["Type", "MessageId", "TopicArn", "Timestamp",
                                       "SignatureVersion", "SigningCertURL",
                                       "UnsubscribeURL", "MessageAttributes"]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=json_values | anything, event_type=st.none() | st.sampled_from(
    ["prison-offender-events.prisoner.released", "person.alert.created", "x"]),
    pretty=st.booleans(), subject=st.none() | st.text(max_size=5))
def test_any_message_in_a_notification_agrees(body, event_type, pretty, subject):
    try:
        raw = json.dumps(body, indent=1 if pretty else None, allow_nan=True)
    except (TypeError, ValueError):
        raw = repr(body)
    extra = {} if subject is None else {"Subject": subject}
    assert_same(notification(raw, 1, event_type, **extra), EnvelopeCache())


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=envelopes())
def test_any_sqs_body_agrees(body):
    assert_same({"MessageId": "sqs-1", "Body": body}, EnvelopeCache())


def test_duplicate_keys_and_escapes_leave_the_fast_path_with_their_warnings():
    shapes = EnvelopeCache()
    demo = DemoTraffic(seed=5, broken_share=0)
    event_type, raw = demo.next()
    doubled = raw[:-1] + ',"eventType":' + json.dumps(event_type) + "}"
    m = assert_same(notification(doubled, 1, event_type), shapes)
    assert any("duplicate key 'eventType'" in w for w in m.validation.warnings)
    escaped = raw.replace('"description":"', '"description":"\\u00e9 ', 1)
    assert_same(notification(escaped, 2, event_type), shapes)
