"""Turns what an SQS queue delivers (an SNS envelope, or a raw message) into a Message."""

from __future__ import annotations

from typing import Any

import orjson

from viewer import jsontext
from viewer.message import Message, now
from viewer.validation import Judge

# Envelope members kept for display; Message is the payload itself, Signature is noise.
_ENVELOPE_SKIP = {"Message", "Signature"}
# SNS envelope members are strings or flat maps; anything nested deeper is not shown.
_ENVELOPE_DEPTH = 8
# additionalInformation members that name a person, as HMPPS events commonly carry them.
_PERSON_KEYS = {"nomsNumber": "NOMS", "crn": "CRN", "prisonerNumber": "NOMS",
                "prisonerId": "NOMS", "offenderNo": "NOMS"}


def unwrap(body: str, sqs_message_id: str,
           sqs_attributes: dict[str, Any] | None = None) -> tuple[str, str, str | None,
                                                                dict[str, str],
                                                                dict[str, Any] | None]:
    """(raw, message id, publishedAt, attributes, envelope) from an SQS body.

    An SNS notification is unwrapped to its ``Message``; anything else is raw delivery,
    where the attributes are SQS message attributes (``StringValue``).
    """
    envelope = _sns_envelope(body)
    if envelope is not None:
        attributes = {}
        given = envelope.get("MessageAttributes")
        # Anyone can publish to the topic: attributes of the wrong shape are skipped, not fatal.
        for name, attr in (given.items() if isinstance(given, dict) else ()):
            if isinstance(attr, dict) and "Value" in attr:
                attributes[str(name)] = _text(attr["Value"])
        message_id = envelope.get("MessageId")
        published = envelope.get("Timestamp")
        kept = {k: (v if jsontext.depth(v) <= _ENVELOPE_DEPTH else "(too deeply nested)")
                for k, v in envelope.items() if k not in _ENVELOPE_SKIP}
        return (envelope["Message"], str(message_id) if message_id else sqs_message_id,
                published if isinstance(published, str) else None, attributes, kept)
    attributes = {}
    for name, attr in (sqs_attributes.items() if isinstance(sqs_attributes, dict) else ()):
        if isinstance(attr, dict):
            value = attr.get("StringValue", attr.get("BinaryValue"))
            if value is not None:
                attributes[str(name)] = value if isinstance(value, str) else repr(value)
    return body, sqs_message_id, None, attributes, None


def _text(value: Any) -> str:
    """An attribute value as text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if jsontext.depth(value) > _ENVELOPE_DEPTH:
        return "(too deeply nested)"
    try:
        return orjson.dumps(value).decode()
    except (TypeError, ValueError):  # not JSON-serialisable: name the type only
        return f"({type(value).__name__})"


def _sns_envelope(body: str) -> dict[str, Any] | None:
    if '"Notification"' not in body:  # cheap test before parsing every raw body twice
        return None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if (isinstance(value, dict) and value.get("Type") == "Notification"
            and isinstance(value.get("Message"), str) and "TopicArn" in value):
        return value
    return None


def identifiers_of(body: Any) -> tuple[tuple[str, str], ...]:
    """Person identifiers: ``personReference.identifiers`` plus well-known members."""
    if not isinstance(body, dict):
        return ()
    found: list[tuple[str, str]] = []
    ref = body.get("personReference")
    items = ref.get("identifiers") if isinstance(ref, dict) else None
    if isinstance(items, list):
        for item in items[:20]:
            if isinstance(item, dict):
                kind, value = item.get("type"), item.get("value")
                if isinstance(kind, str) and isinstance(value, str | int) and value != "":
                    found.append((kind, str(value)))
    info = body.get("additionalInformation")
    if isinstance(info, dict):
        for key, kind in _PERSON_KEYS.items():
            value = info.get(key)
            if isinstance(value, str) and value and (kind, value) not in found:
                found.append((kind, value))
    return tuple(found)


def build_message(raw: str, message_id: str, source: str, attributes: dict[str, str],
                  judge: Judge, published_at: str | None = None,
                  envelope: dict[str, Any] | None = None,
                  received_at: float | None = None) -> Message:
    """Parse, judge and index one message's text."""
    parsed = jsontext.parse(raw)
    body = parsed.value if parsed.error is None else None
    event_type = attributes.get("eventType")
    if not event_type and isinstance(body, dict) and isinstance(body.get("eventType"), str):
        event_type = body["eventType"]
    validation = judge.judge(body, parsed.error, attributes.get("eventType"), parsed.warnings)
    return Message(
        message_id=message_id, source=source, raw=raw, event_type=event_type or None,
        attributes=attributes, received_at=now() if received_at is None else received_at,
        published_at=published_at, envelope=envelope, identifiers=identifiers_of(body),
        validation=validation, parse_error=parsed.error,
    )


def from_sqs(sqs_message: dict[str, Any], source: str, judge: Judge) -> Message:
    """A Message from one entry of ``ReceiveMessage``'s answer."""
    raw, message_id, published, attributes, envelope = unwrap(
        sqs_message.get("Body", ""), sqs_message["MessageId"],
        sqs_message.get("MessageAttributes"))
    return build_message(raw, message_id, source, attributes, judge, published, envelope)
