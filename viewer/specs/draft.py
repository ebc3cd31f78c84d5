"""Drafts an AsyncAPI message spec (registry layout) from observed messages of one type.

Several messages give the union of their fields; ``required`` lists the fields present in
every one; strings that are all RFC 3339 date-times or UUIDs get that ``format``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from viewer import jsontext
from viewer.sns import unwrap
from viewer.specs import yaml12
from viewer.validation import is_rfc3339

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
MAX_DEPTH = 32


class DraftError(ValueError):
    """Messages a draft cannot be made from (none parse, or they mix event types)."""


@dataclass
class _Seen:
    """What one location held across the samples."""

    count: int = 0
    types: list[str] = field(default_factory=list)
    example: Any = None
    has_example: bool = False
    strings: list[str] = field(default_factory=list)
    props: dict[str, _Seen] = field(default_factory=dict)
    objects: int = 0  # how many samples had an object here (for required)
    items: _Seen | None = None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _observe(seen: _Seen, value: Any, depth: int = 0) -> None:
    seen.count += 1
    kind = _kind(value)
    if kind not in seen.types:
        seen.types.append(kind)
    if not seen.has_example and value is not None and kind not in ("object", "array"):
        seen.example, seen.has_example = value, True
    if depth > MAX_DEPTH:
        return
    if kind == "string" and len(seen.strings) < 1000:
        seen.strings.append(value)
    elif kind == "object":
        seen.objects += 1
        for key, sub in value.items():
            _observe(seen.props.setdefault(key, _Seen()), sub, depth + 1)
    elif kind == "array":
        for sub in value:
            seen.items = seen.items or _Seen()
            _observe(seen.items, sub, depth + 1)


def _schema(seen: _Seen) -> dict[str, Any]:
    types = [t for t in seen.types if t != "null"] or ["null"]
    if "integer" in types and "number" in types:
        types.remove("integer")
    if "null" in seen.types and types != ["null"]:
        types.append("null")
    out: dict[str, Any] = {"type": types[0] if len(types) == 1 else types}
    if seen.strings and [t for t in seen.types if t != "null"] == ["string"]:
        if all(is_rfc3339(s) and "T" in s.upper() for s in seen.strings):
            out["format"] = "date-time"
        elif all(_UUID.match(s) for s in seen.strings):
            out["format"] = "uuid"
    if seen.props:
        out["properties"] = {k: _schema(v) for k, v in seen.props.items()}
        required = [k for k, v in seen.props.items() if _present_in_all(v, seen.objects)]
        if required:
            out["required"] = required
    if seen.items is not None:
        out["items"] = _schema(seen.items)
    if seen.has_example:
        out["example"] = seen.example
    return out


def _present_in_all(prop: _Seen, objects: int) -> bool:
    return prop.count >= objects


def payload_of(text: str) -> Any:
    """The event in a file's text: bare JSON, or the ``Message`` of an SNS envelope."""
    raw = unwrap(text, "draft")[0]
    parsed = jsontext.parse(raw)
    if parsed.error is not None:
        raise DraftError(f"not JSON: {parsed.error}")
    return parsed.value


def draft(texts: list[str], event_type: str | None = None) -> dict[str, Any]:
    """The AsyncAPI message object drafted from message texts (skipping unparseable ones)."""
    root = _Seen()
    types: set[str] = set()
    first_description = None
    for text in texts:
        try:
            value = payload_of(text)
        except DraftError:
            continue
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("eventType"), str):
            types.add(value["eventType"])
        if first_description is None and isinstance(value.get("description"), str):
            first_description = value["description"]
        _observe(root, value)
    if root.count == 0:
        raise DraftError("no message parsed as a JSON object: nothing to draft from")
    if event_type is None:
        if len(types) > 1:
            raise DraftError(f"messages of several event types ({', '.join(sorted(types))}): "
                             "draft one type at a time")
        event_type = next(iter(types), None) or "unnamed.event"
    payload = _schema(root)
    props = payload.setdefault("properties", {})
    if "eventType" in props:
        props["eventType"] = {"type": "string", "const": event_type, "example": event_type}
    return {
        "name": event_type,
        "title": event_type,
        "summary": first_description or f"{event_type} (drafted from {root.count} "
                                        f"message{'s' if root.count != 1 else ''})",
        "contentType": "application/json",
        "payload": payload,
    }


def draft_yaml(texts: list[str], event_type: str | None = None) -> str:
    """The drafted spec as YAML in the registry's layout and key order."""
    header = ("# Drafted by events-viewer from observed messages: check the types, add\n"
              "# descriptions, and put it under spec/schemas/<service>/ in the registry.\n")
    return header + yaml12.dump(draft(texts, event_type), sort_keys=False,
                                allow_unicode=True, width=100)
