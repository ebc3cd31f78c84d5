"""Strict JSON (RFC 8259) parsing of untrusted text, with specific errors and no crashes."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# RFC 8259 section 9 lets a parser limit nesting. Ours is below the 255 levels orjson can
# serialise and jsonschema-rs can take, so a deep message is flagged, never a crash.
MAX_DEPTH = 200

# A key is a string closed by an unescaped quote and followed by a colon; nothing else in
# JSON text is. Counting them is the cheap proof that no object repeats a key.
_KEY = re.compile(r'(?<!\\)"\s*:')
# A key with space before its colon; without one, str.count can do the counting.
_SPACED_KEY = re.compile(r'"\s+:')


class ParseResult:
    """A parsed value, or why the text is not strict JSON, plus non-fatal warnings."""

    __slots__ = ("value", "error", "warnings")

    def __init__(self, value: Any = None, error: str | None = None,
                 warnings: tuple[str, ...] = ()) -> None:
        self.value = value
        self.error = error
        self.warnings = warnings


def parse(raw: str) -> ParseResult:
    """Parse ``raw`` as strict JSON: no BOM, NaN, comments, lone surrogates or control chars.

    Nesting deeper than ``MAX_DEPTH`` levels is refused (flagged, never a RecursionError).
    Duplicate keys are accepted (the last wins, as browsers do) and reported as warnings.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return ParseResult(error=_explain(str(exc)))
    except (RecursionError, MemoryError) as exc:  # defensive: orjson caps depth itself
        return ParseResult(error=f"not parsed: {type(exc).__name__}")
    # Counting brackets is a cheap bound: only a text with many can nest deeply.
    if raw.count("[") + raw.count("{") > MAX_DEPTH and depth(value) > MAX_DEPTH:
        return ParseResult(error=f"nesting deeper than {MAX_DEPTH} levels (not parsed further)")
    if isinstance(value, dict | list) and _may_repeat_keys(raw, value):
        duplicates = find_duplicate_keys(raw)
        if duplicates:
            return ParseResult(value, warnings=tuple(
                f"duplicate key {key!r} in one object (the last one wins)"
                for key in duplicates))
    return ParseResult(value)


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), without recursion."""
    if not isinstance(value, _CONTAINERS):
        return 0  # the common case (every SNS envelope member but two): no walk needed
    # Level by level: the depth is the number of levels (it runs on every SNS envelope).
    levels = 0
    current = [value]
    while current:
        levels += 1
        below: list[Any] = []
        for item in current:
            children = item.values() if isinstance(item, dict) else item
            below += [child for child in children if isinstance(child, _CONTAINERS)]
        current = below
    return levels


_CONTAINERS = (dict, list, tuple)


def _explain(message: str) -> str:
    if "depth limit" in message or "recursion limit" in message.lower():
        return f"nesting deeper than {MAX_DEPTH} levels (not parsed further): " + message
    if "BOM" in message:
        return "starts with a byte order mark (not allowed in JSON): " + message
    return message


def _count_keys(value: Any) -> int:
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += len(item)
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))
    return count


def _may_repeat_keys(raw: str, value: Any) -> bool:
    if "\\" in raw:
        return True  # escapes can hide or fake a key's closing quote: check properly
    if _SPACED_KEY.search(raw) is None:
        # The common, compact case, all in C: without escapes no string holds a quote, so
        # every '":' closes a key, in the text and in the value re-serialised (one per key).
        try:
            return raw.count('":') != orjson.dumps(value).count(b'":')
        except orjson.JSONEncodeError:
            pass  # a value orjson will not write back: count the slow way
    return len(_KEY.findall(raw)) != _count_keys(value)


def find_duplicate_keys(raw: str) -> list[str]:
    """Every key that appears more than once in one object, in document order."""
    found: list[str] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                found.append(key)
            seen.add(key)
        return dict(pairs)

    try:
        json.loads(raw, object_pairs_hook=hook)
    except (ValueError, RecursionError):
        return found
    return found
