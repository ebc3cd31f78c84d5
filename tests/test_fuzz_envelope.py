"""Fuzzing the envelope parser and the validator: never raises, always a status, strict JSON out.

Hypothesis builds SQS bodies of every shape a topic could carry: SNS envelopes with
members of the wrong type, JSON-ish text with NaN, comments, BOMs and lone surrogates,
deep nesting, random Unicode. Every one must become a Message whose JSON form is strict
RFC 8259 JSON in valid UTF-8, however it is truncated for the list.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewer.message import STATUSES
from viewer.sns import build_message, from_sqs, unwrap
from viewer.validation import Judge

EXAMPLES = 600
JUDGE = Judge()


def _reject_constant(name: str) -> Any:
    raise AssertionError(f"non-strict JSON constant {name} sent to a browser")


def strict_loads(data: bytes) -> Any:
    """Decode as a browser must: UTF-8 strictly, JSON strictly (no NaN/Infinity)."""
    text = data.decode("utf-8", "strict")
    value = json.loads(text, parse_constant=_reject_constant)
    assert orjson.loads(data) is not None or value is None
    return value


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)
anything = st.recursive(
    json_scalars | st.binary(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(max_size=6) | st.integers(), inner, max_size=3),
    max_leaves=10,
)
nasty_fragments = st.sampled_from([
    "NaN", "Infinity", "-Infinity", "// c\n", "/* c */", "\ufeff", '"\\ud800"', "\ud800",
    "\x00", "\u202e", "\u2066", "<img src=x onerror=alert(1)>", "</script>", "javascript:",
    "{", "}", "[", "]", '"', ",", ":", "1e999", "18446744073709551616", "\\", "\\u",
    '"eventType"', '"version"', '"occurredAt"', '"2024-01-01T00:00:00Z"',
])


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Text that is JSON, nearly JSON, or not JSON at all."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.text())
    if kind == 1:
        return "".join(draw(st.lists(nasty_fragments | st.text(max_size=3), max_size=30)))
    if kind == 2:
        depth = draw(st.sampled_from([1, 199, 200, 201, 254, 255, 256, 1023, 1025, 3000])
                     | st.integers(0, 3000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        closing = draw(st.just(depth) | st.integers(0, depth))
        return opener * depth + draw(st.sampled_from(["1", "[]", ""])) + closer * closing
    value = draw(json_values)
    try:
        text = json.dumps(value, allow_nan=True, ensure_ascii=draw(st.booleans()))
    except (ValueError, RecursionError):
        return repr(value)
    if kind == 4 and text:  # break it somewhere
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + draw(nasty_fragments) + text[cut:]
    return text


@st.composite
def envelopes(draw: st.DrawFn) -> str:
    """An SNS notification whose members may have any type, or be missing."""
    env: dict[str, Any] = {"Type": "Notification", "TopicArn": "arn:aws:sns:eu-west-2:1:t"}
    env["Message"] = draw(texts() | anything)
    if draw(st.booleans()):  # a deeply nested envelope member, as a hostile publisher might send
        env[draw(st.sampled_from(["Subject", "MessageAttributes", "Extra"]))] = orjson.loads(
            "[" * 300 + "]" * 300)
    for key in ("MessageId", "Timestamp", "MessageAttributes", "Subject", "Signature"):
        if draw(st.booleans()):
            env[key] = draw(anything)
    if draw(st.booleans()):
        env["MessageAttributes"] = draw(st.dictionaries(
            st.text(max_size=10) | st.just("eventType"),
            st.fixed_dictionaries({"Type": st.just("String"), "Value": anything}) | anything,
            max_size=3))
    try:
        return json.dumps(env, default=repr)
    except (ValueError, TypeError, RecursionError):
        return repr(env)


sqs_attributes = st.none() | anything | st.dictionaries(
    st.text(max_size=10), st.fixed_dictionaries(
        {"DataType": st.just("String"), "StringValue": st.text(max_size=20)}) | anything,
    max_size=3)


def check(message: Any) -> None:
    """The invariants every message must hold, whatever came in."""
    assert message.status in STATUSES
    whole = strict_loads(message.to_json())
    assert whole["validation"]["status"] == message.status
    for error in whole["validation"]["errors"]:
        assert isinstance(error["pointer"], str) and isinstance(error["message"], str)
    for limit in (0, 7, 100):
        cut = strict_loads(message.to_json(limit))
        assert cut["messageId"] == whole["messageId"]
        if message.size > limit:
            assert cut["truncated"] is True and cut["body"] is None
    if message.parse_error is None:
        assert whole["body"] is not None or message.raw.strip() == "null"


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=envelopes() | texts(), attributes=sqs_attributes)
def test_any_sqs_body_becomes_a_flagged_message(body: str, attributes: Any) -> None:
    """unwrap + build_message + judge never raise and always produce strict UTF-8 JSON."""
    raw, message_id, published, attrs, envelope = unwrap(body, "sqs-id", attributes)
    assert isinstance(raw, str) and isinstance(message_id, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in attrs.items())
    message = from_sqs({"MessageId": "sqs-id", "Body": body, "MessageAttributes": attributes},
                       "fuzz", JUDGE)
    check(message)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(value=json_values)
def test_any_json_value_is_judged(value: Any) -> None:
    """The validator gives every parsed JSON value a status and pointers into it."""
    raw = json.dumps(value, allow_nan=True)
    message = build_message(raw, "id", "fuzz", {}, JUDGE)
    check(message)
    if not isinstance(value, dict) and message.parse_error is None:
        assert message.status == "invalid"
        assert any(e["pointer"] == "" for e in message.validation.errors)

