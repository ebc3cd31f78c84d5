"""The stored message and its JSON form (the contract's message object)."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

# Statuses in precedence order (the contract).
UNPARSEABLE = "unparseable"
INVALID = "invalid"
UNKNOWN = "unknown"
VALID = "valid"
STATUSES = (UNPARSEABLE, INVALID, UNKNOWN, VALID)


@dataclass(slots=True)
class Validation:
    """The verdict on one message: status, errors, the spec used, and parse warnings."""

    status: str
    errors: tuple[dict[str, Any], ...] = ()
    spec: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()

    @property
    def spec_fault(self) -> bool:
        """True when every error is one the spec's own example also raises."""
        return bool(self.errors) and all(e.get("specFault") for e in self.errors)

    def as_dict(self) -> dict[str, Any]:
        """The contract's ``validation`` object."""
        out: dict[str, Any] = {"status": self.status, "errors": list(self.errors),
                               "spec": self.spec}
        if self.errors:
            out["specFault"] = self.spec_fault
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


class SharedEnvelope:
    """The SNS envelope members that messages repeat (topic, URLs, attributes), held once.

    A topic's envelopes differ only in ``MessageId``, ``Timestamp`` and ``Signature``: every
    message of one shape points at one of these, and ``fill`` puts its own id and time back.
    """

    __slots__ = ("members", "attributes")

    def __init__(self, members: dict[str, Any], attributes: dict[str, str]) -> None:
        self.members = members  # MessageId and Timestamp hold None: they are per message
        self.attributes = attributes

    def fill(self, message_id: str, published_at: str | None) -> dict[str, Any]:
        """The envelope as it arrived (less Message and Signature), for one message."""
        out = self.members.copy()
        if "MessageId" in out:
            out["MessageId"] = message_id
        if "Timestamp" in out:
            out["Timestamp"] = published_at
        return out


@dataclass(slots=True)
class Message:
    """One received message; the body is kept as raw text and parsed on demand."""

    message_id: str
    source: str
    raw: str
    event_type: str | None
    attributes: dict[str, str]
    received_at: float
    published_at: str | None = None
    # SNS envelope members other than Message and Signature: shared by messages of one shape.
    # 100,000 buffered messages repeat a topic's ARN, URLs and attributes: the builders
    # (sns, the Redis journal) hand over shared dicts and interned strings.
    envelope: dict[str, Any] | SharedEnvelope | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    validation: Validation = field(default_factory=lambda: Validation(UNKNOWN))
    seq: int = 0
    parse_error: str | None = None
    # Where the message came from, for acknowledgement (never serialised).
    receipt: Any = None

    def envelope_dict(self) -> dict[str, Any] | None:
        """The SNS envelope as it arrived, less ``Message`` and ``Signature``."""
        env = self.envelope
        if type(env) is SharedEnvelope:
            return env.fill(self.message_id, self.published_at)
        return env  # type: ignore[return-value]

    @property
    def status(self) -> str:
        """The validation status."""
        return self.validation.status

    @property
    def size(self) -> int:
        """The raw text's length in UTF-8 bytes."""
        return len(self.raw.encode("utf-8", "surrogatepass"))

    def received_iso(self) -> str:
        """``receivedAt`` as ISO 8601 UTC with milliseconds."""
        return iso_utc(self.received_at)

    def head(self) -> dict[str, Any]:
        """Every field of the message object except ``body`` and ``raw``."""
        out = {
            "seq": self.seq,
            "messageId": self.message_id,
            "eventType": self.event_type,
            "source": self.source,
            "receivedAt": self.received_iso(),
            "publishedAt": self.published_at,
            "attributes": self.attributes,
            "identifiers": [{"type": t, "value": v} for t, v in self.identifiers],
            "size": self.size,
            "validation": self.validation.as_dict(),
        }
        if self.envelope is not None:
            out["envelope"] = self.envelope_dict()
        if self.parse_error is not None:
            out["parseError"] = self.parse_error
        return out

    def to_json(self, display_limit: int | None = None) -> bytes:
        """The message object as strict JSON bytes.

        ``body`` is spliced in as the raw text itself: it parsed as strict JSON, so it is
        valid JSON already, and re-serialising a deeply nested value could overflow.
        Above ``display_limit`` bytes, ``raw`` is cut, ``body`` is null and
        ``truncated`` is true: the detail view fetches the whole message.
        """
        head = self.head()
        raw = self.raw
        truncated = display_limit is not None and head["size"] > display_limit
        if truncated:
            head["truncated"] = True
            head["raw"] = _cut(raw, display_limit or 0)
            return _dumps(head)[:-1] + b',"body":null}'
        head["raw"] = raw
        encoded = _dumps(head)
        if self.parse_error is None:
            return encoded[:-1] + b',"body":' + raw.encode("utf-8") + b"}"
        return encoded[:-1] + b',"body":null}'


# Envelope members unique to each message: not worth a place in the intern table.
_UNIQUE = frozenset({"MessageId", "Timestamp", "Signature"})


def share(text: str) -> str:
    """One shared copy of a short string (freed again once no message holds it)."""
    return sys.intern(text) if type(text) is str and len(text) <= 256 else text


def share_strings(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` with its repeated short strings shared, in place (equal strings, same map)."""
    for key, item in value.items():
        if type(item) is str:
            if len(item) <= 256 and key not in _UNIQUE:
                value[key] = sys.intern(item)
        elif type(item) is dict:
            share_strings(item)
    return value


def _cut(text: str, limit: int) -> str:
    """The first ``limit`` bytes of ``text``, not splitting a character."""
    return text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        # A lone surrogate in a string cannot be UTF-8: send U+FFFD in its place.
        return orjson.dumps(_scrub(value))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def iso_utc(epoch: float) -> str:
    """An epoch time as ISO 8601 UTC with milliseconds and a Z."""
    if 0 <= epoch < _YEAR_10000:
        # Every serialised message formats its time: reuse the seconds, as datetime would
        # round (half even, to the microsecond) and then cut to milliseconds.
        frac, whole = math.modf(epoch)
        micros = round(frac * 1_000_000)
        seconds = int(whole) + (micros >= 1_000_000)
        return f"{_iso_second(seconds)}.{micros % 1_000_000 // 1000:03d}Z"
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


_YEAR_10000 = 253_402_300_800.0


@lru_cache(maxsize=1024)
def _iso_second(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def now() -> float:
    """The wall clock, in one place so tests and the store agree."""
    return time.time()
