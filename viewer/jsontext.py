"""Strict JSON (RFC 8259) parsing of untrusted text, with specific errors and no crashes."""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any, NamedTuple

import orjson

# RFC 8259 section 9 lets a parser limit nesting. Ours is the deepest orjson writes back
# (it refuses 255 levels), so a message is flagged, never a crash where it is served, and
# the check costs nothing: every parsed object is written back anyway (duplicate keys).
MAX_DEPTH = 254

# A key is a string closed by an unescaped quote and followed by a colon; nothing else in
# JSON text is. Counting them is the cheap proof that no object repeats a key.
_KEY = re.compile(r'(?<!\\)"\s*:')
# A key with space before its colon; without one, str.count can do the counting.
_SPACED_KEY = re.compile(r'"\s+:')


class ParseResult(NamedTuple):
    """A parsed value, or why the text is not strict JSON, plus non-fatal warnings."""

    value: Any = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


# Builds a ParseResult in C: parse runs for every message, and NamedTuple's own __new__ is a
# Python function.
_result = partial(tuple.__new__, ParseResult)


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
    if type(value) is not dict and type(value) is not list:
        return _result((value, None, ()))  # a scalar: no keys, no nesting
    try:
        written: bytes | None = orjson.dumps(value)
    except orjson.JSONEncodeError:
        if depth(value) > MAX_DEPTH:
            return ParseResult(error=f"nesting deeper than {MAX_DEPTH} levels "
                                     "(not parsed further)")
        written = None  # a value orjson will not write back: check keys the slow way
    # The common case, all in C: compact text exactly as orjson writes it repeats no key, as
    # what orjson writes never repeats one (a dropped duplicate would show).
    if written is not None and written == raw.encode("utf-8", "surrogatepass"):
        return _result((value, None, ()))
    if _may_repeat_keys(raw, value, written):
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


def _may_repeat_keys(raw: str, value: Any, written: bytes | None) -> bool:
    if written is not None and "\\" not in raw and _SPACED_KEY.search(raw) is None:
        # Without escapes no string holds a quote, so every '":' closes a key, in the text
        # and in the value written back (one per key).
        return raw.count('":') != written.count(b'":')
    # Escapes can hide or fake a key's closing quote: check properly.
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
