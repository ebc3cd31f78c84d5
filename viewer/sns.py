"""Turns what an SQS queue delivers (an SNS envelope, or a raw message) into a Message."""

from __future__ import annotations

import time
from sys import intern
from typing import Any

import orjson

from viewer import jsontext
from viewer.message import Message, SharedEnvelope, share, share_strings
from viewer.validation import Judge

# Envelope members kept for display; Message is the payload itself, Signature is noise.
_ENVELOPE_SKIP = {"Message", "Signature"}
# SNS envelope members are strings or flat maps; anything nested deeper is not shown.
_ENVELOPE_DEPTH = 8
# additionalInformation members that name a person, as HMPPS events commonly carry them.
_PERSON_KEYS = {"nomsNumber": "NOMS", "crn": "CRN", "prisonerNumber": "NOMS",
                "prisonerId": "NOMS", "offenderNo": "NOMS"}
_PERSON_KEY_NAMES = frozenset(_PERSON_KEYS)
_PERSON_KEY_RANK = {key: rank for rank, key in enumerate(_PERSON_KEYS)}  # a stable order
# An identifier's value may be a JSON string or number (a number is kept as its text).
_ID_VALUES = (str, int)


class EnvelopeCache(dict[bytes, SharedEnvelope]):
    """The shapes of SNS envelope seen so far (by their members, written back), each kept once.

    Bounded in count and size: a publisher that makes every envelope unique (a ``Subject``
    per message) only loses the sharing, and a new topic is picked up after a clear.
    """

    def __init__(self, limit: int = 1024, max_key: int = 4096) -> None:
        super().__init__()
        self.limit = limit
        self.max_key = max_key

    def shape_of(self, members: dict[str, Any]) -> SharedEnvelope:
        """The shared shape of envelope members (without Message and Signature, and with
        MessageId and Timestamp set to None): written back by orjson, they are the key,
        so the common case, a shape seen before, stays in C."""
        try:
            key = orjson.dumps(members)
        except orjson.JSONEncodeError:  # nested beyond what orjson writes: not shared
            key = b""
        shape = self.get(key)
        if shape is None:
            kept, attributes = _unpack(members)
            shape = SharedEnvelope(share_strings(kept), share_strings(attributes))
            if 0 < len(key) <= self.max_key:
                if len(self) >= self.limit:
                    self.clear()  # messages keep their shapes; only the lookup starts over
                # A copy: orjson's bytes keep its whole buffer (4 KiB or more) for a
                # 600-byte key.
                self[bytes(memoryview(key))] = shape
        return shape


Unwrapped = tuple[str, str, str | None, dict[str, str], dict[str, Any] | SharedEnvelope | None]


def unwrap(body: str, sqs_message_id: str, sqs_attributes: dict[str, Any] | None = None,
           shapes: EnvelopeCache | None = None) -> Unwrapped:
    """(raw, message id, publishedAt, attributes, envelope) from an SQS body.

    An SNS notification is unwrapped to its ``Message``; anything else is raw delivery,
    where the attributes are SQS message attributes (``StringValue``). Given ``shapes``,
    the envelope is a ``SharedEnvelope`` where it can be (see ``Message.envelope_dict``).
    """
    envelope = _sns_envelope(body)
    if envelope is None:
        return body, sqs_message_id, None, _sqs_attributes(sqs_attributes), None
    return _open(envelope, sqs_message_id, shapes)


def _open(envelope: dict[str, Any], sqs_message_id: str,
          shapes: EnvelopeCache | None) -> Unwrapped:
    """``unwrap`` for a parsed SNS notification (it is taken apart in place)."""
    raw = envelope.pop("Message")
    envelope.pop("Signature", None)
    message_id = envelope.get("MessageId")
    published = envelope.get("Timestamp")
    published = published if type(published) is str else None
    # Shared only where the message's own fields give back exactly what arrived.
    if (shapes is not None
            and ((type(message_id) is str and message_id) or "MessageId" not in envelope)
            and (published is not None or "Timestamp" not in envelope)):
        # The per-message members become None in place (the order of members stays).
        if message_id is not None:
            envelope["MessageId"] = None
        if published is not None:
            envelope["Timestamp"] = None
        shape = shapes.shape_of(envelope)
        return raw, message_id or sqs_message_id, published, shape.attributes, shape
    kept, attributes = _unpack(envelope)
    return (raw, str(message_id) if message_id else sqs_message_id, published,
            share_strings(attributes), share_strings(kept))


def _sqs_attributes(given: Any) -> dict[str, str]:
    """SQS message attributes (raw delivery) as text."""
    attributes = {}
    for name, attr in (given.items() if isinstance(given, dict) else ()):
        if isinstance(attr, dict):
            value = attr.get("StringValue", attr.get("BinaryValue"))
            if value is not None:
                attributes[str(name)] = share(value) if isinstance(value, str) else repr(value)
    return attributes


def _unpack(envelope: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The members worth showing (none nested deeply) and the message attributes."""
    attributes = {}
    given = envelope.get("MessageAttributes")
    # Anyone can publish to the topic: attributes of the wrong shape are skipped, not fatal.
    for name, attr in (given.items() if isinstance(given, dict) else ()):
        if isinstance(attr, dict) and "Value" in attr:
            attributes[str(name)] = _text(attr["Value"])
    kept = {k: (v if jsontext.depth(v) <= _ENVELOPE_DEPTH else "(too deeply nested)")
            for k, v in envelope.items() if k not in _ENVELOPE_SKIP}
    return kept, attributes


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
    """Person identifiers: ``personReference.identifiers`` plus well-known members.

    Kinds are interned: 100,000 buffered messages name a handful of kinds. (A message that
    passed the envelope schema takes ``_identifiers_of_valid``, which checks less.)
    """
    if type(body) is not dict:
        return ()
    ref = body.get("personReference")
    items = ref.get("identifiers") if type(ref) is dict else None
    found = _listed(items) if type(items) is list else ()
    info = body.get("additionalInformation")
    return _named(found, info) if type(info) is dict else found


def _identifiers_of_valid(body: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """``identifiers_of`` a body that passed the envelope schema, which already checked
    what the general function checks (personReference.identifiers are objects with string
    type and value; additionalInformation is an object). A judge given another envelope
    schema is caught by the fallback."""
    try:
        ref = body.get("personReference")
        items = ref.get("identifiers") if ref else None
        if not items:
            found: tuple[tuple[str, str], ...] = ()
        elif len(items) == 1 and (value := items[0]["value"]) \
                and len(kind := items[0]["type"]) <= 256:
            found = ((intern(kind), value),)
        else:
            found = _listed(items)
        info = body.get("additionalInformation")
        return _named(found, info) if info else found
    except (AttributeError, KeyError, TypeError):
        return identifiers_of(body)


def _listed(items: list[Any]) -> tuple[tuple[str, str], ...]:
    """``personReference.identifiers`` (at most 20): strings and numbers, never empty."""
    found = []
    for item in items[:20]:
        if type(item) is dict:
            kind = item.get("type")
            value = item.get("value")
            if type(kind) is str and value != "" and isinstance(value, _ID_VALUES):
                found.append((intern(kind) if len(kind) <= 256 else kind,
                              value if type(value) is str else str(value)))
    return tuple(found)


def _named(found: tuple[tuple[str, str], ...],
           info: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """``found`` plus the well-known members of additionalInformation, in a stable order."""
    hits = _PERSON_KEY_NAMES.intersection(info)  # in C: most events name one or none
    for key in hits if len(hits) < 2 else sorted(hits, key=_PERSON_KEY_RANK.__getitem__):
        value = info[key]
        if value and type(value) is str and (pair := (_PERSON_KEYS[key], value)) not in found:
            found += (pair,)
    return found


def build_message(raw: str, message_id: str, source: str, attributes: dict[str, str],
                  judge: Judge, published_at: str | None = None,
                  envelope: dict[str, Any] | SharedEnvelope | None = None,
                  received_at: float | None = None) -> Message:
    """Parse, judge and index one message's text."""
    return _judged(raw, jsontext.parse(raw), message_id, source, attributes, judge,
                   published_at, envelope, received_at)


def _judged(raw: str, parsed: jsontext.ParseResult, message_id: str, source: str,
            attributes: dict[str, str], judge: Judge, published_at: str | None,
            envelope: dict[str, Any] | SharedEnvelope | None,
            received_at: float | None = None) -> Message:
    value, error, warnings = parsed
    attribute_type = attributes.get("eventType")
    event_type = attribute_type
    if not event_type and type(value) is dict:
        event_type = value.get("eventType")
        event_type = share(event_type) if type(event_type) is str else None
    return Message(  # positional: this runs for every message
        message_id, source, raw, event_type or None, attributes,
        time.time() if received_at is None else received_at, published_at, envelope,
        identifiers_of(value), judge.judge(value, error, attribute_type, warnings), 0, error)


def from_sqs(sqs_message: dict[str, Any], source: str, judge: Judge,
             shapes: EnvelopeCache | None = None, received_at: float | None = None) -> Message:
    """A Message from one entry of ``ReceiveMessage``'s answer.

    The common case is taken flat, with no call it can do without (this runs for every
    message): an SNS notification whose message is compact JSON, just as orjson writes it,
    that passes its envelope and spec. Anything else goes through the general path
    (``build_message``), which tests hold this one to.
    """
    body = sqs_message.get("Body", "")
    envelope = _sns_envelope(body)
    if envelope is None:
        return build_message(body, sqs_message["MessageId"], source,
                             _sqs_attributes(sqs_message.get("MessageAttributes")), judge,
                             received_at=received_at)
    message_id = envelope.get("MessageId")
    published = envelope.get("Timestamp")
    if (shapes is None or type(message_id) is not str or not message_id
            or type(published) is not str):
        raw, message_id, published, attributes, kept = _open(
            envelope, sqs_message["MessageId"], shapes)
        return build_message(raw, message_id, source, attributes, judge, published, kept,
                             received_at)
    raw = envelope.pop("Message")
    envelope.pop("Signature", None)
    envelope["MessageId"] = envelope["Timestamp"] = None
    shape = shapes.shape_of(envelope)
    attributes = shape.attributes
    try:
        value = orjson.loads(raw)
        written = orjson.dumps(value) if type(value) is dict else None
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        written = None
    # Compact text just as orjson writes it is strict, with no repeated key (jsontext.parse).
    if written is None or written != raw.encode("utf-8", "surrogatepass"):
        return build_message(raw, message_id, source, attributes, judge, published, shape,
                             received_at)
    verdict = judge.passing(value)
    if verdict is None:  # it breaks a schema, or has no spec: explain, without parsing again
        return _judged(raw, jsontext.ParseResult(value), message_id, source, attributes,
                       judge, published, shape, received_at)
    return Message(message_id, source, raw, attributes.get("eventType") or share(
        value["eventType"]), attributes, received_at or time.time(), published, shape,
        _identifiers_of_valid(value), verdict, 0, None)
