"""Message filters: pure functions shared by the REST API and the websocket stream."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from viewer.message import STATUSES, Message

SPEC_FAULT = "specFault"  # a pseudo-status: invalid, and every error is the spec's fault
FILTER_STATUSES = (*STATUSES, SPEC_FAULT)
DEFAULT_LIMIT = 100
MAX_LIMIT = 100_000
LIST_KEYS = ("eventType", "excludeEventType", "status", "source", "person")
SCALAR_KEYS = ("q", "since", "until")


class FilterError(ValueError):
    """A query that cannot be understood; the message says which parameter and why."""


@dataclass(frozen=True)
class Filter:
    """Which messages to show. Empty fields match everything."""

    event_types: tuple[str, ...] = ()
    exclude_event_types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    q: str = ""
    since: float | None = None
    until: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_include", _TypeMatcher(self.event_types))
        object.__setattr__(self, "_exclude", _TypeMatcher(self.exclude_event_types))
        object.__setattr__(self, "_q", text_matcher(self.q) if self.q else None)
        object.__setattr__(self, "text_anchor", text_anchor(self.q))
        object.__setattr__(self, "matches", self._predicate())

    @property
    def is_empty(self) -> bool:
        """Whether the filter lets everything through."""
        return self == Filter()

    def matches(self, m: Message) -> bool:
        """Whether ``m`` passes every part of the filter (replaced per instance, see below)."""
        return self._predicate()(m)

    def _predicate(self) -> Callable[[Message], bool]:
        """``matches`` with only the checks this filter uses, cheapest first, text last.

        A scan calls it for every buffered message, so it is built once per filter.
        """
        checks: list[Callable[[Message], bool]] = []
        if self.event_types:
            include = self._include.match  # type: ignore[attr-defined]
            checks.append(lambda m: include(m.event_type))
        if self.exclude_event_types:
            exclude = self._exclude.match  # type: ignore[attr-defined]
            checks.append(lambda m: not exclude(m.event_type))
        if self.statuses:
            statuses = self.statuses
            checks.append(lambda m: _status_in(m, statuses))
        if self.sources:
            sources = self.sources
            checks.append(lambda m: m.source in sources)
        if self.persons:
            persons = self.persons
            checks.append(lambda m: any(v in persons for _, v in m.identifiers))
        if self.since is not None:
            since = self.since
            checks.append(lambda m: m.received_at >= since)
        if self.until is not None:
            until = self.until
            checks.append(lambda m: m.received_at <= until)
        if self._q is not None:  # type: ignore[attr-defined]
            checks.append(self._q)  # type: ignore[attr-defined]
        if not checks:
            return lambda m: True
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks
            return lambda m: first(m) and second(m)

        def every(m: Message) -> bool:
            for check in checks:
                if not check(m):
                    return False
            return True
        return every

    def to_query(self) -> dict[str, Any]:
        """The filter in the REST API's parameter names."""
        out: dict[str, Any] = {}
        for key, value in (("eventType", self.event_types),
                           ("excludeEventType", self.exclude_event_types),
                           ("status", self.statuses), ("source", self.sources),
                           ("person", self.persons)):
            if value:
                out[key] = list(value)
        if self.q:
            out["q"] = self.q
        return out


def text_matcher(q: str) -> Callable[[Message], bool]:
    """Whether a message's raw text holds ``q``, ignoring case as ``re.IGNORECASE`` does.

    For ASCII text and an ASCII query, lower-casing both is the same test and several times
    faster than the regex. A run of the query without letters has no other case, so it must
    appear as it is: one plain ``in`` rules most texts out. It runs per buffered message.
    """
    rx = re.compile(re.escape(q), re.IGNORECASE)
    if not q.isascii():
        return lambda m: rx.search(m.raw) is not None
    lowered = q.lower()
    anchor = text_anchor(q) or ""

    def match(m: Message) -> bool:
        text = m.raw
        if anchor not in text:
            return False
        if text.isascii():
            return lowered in text.lower()
        return rx.search(text) is not None
    return match


def text_anchor(q: str) -> str | None:
    """The longest run of an ASCII query without letters: every match holds it as it is.

    A store can rule texts out with a plain substring test, in C, before ``matches``.
    """
    if not q or not q.isascii():
        return None
    return max(re.split(r"[A-Za-z]+", q), key=len) or None


def _status_in(m: Message, statuses: tuple[str, ...]) -> bool:
    status = m.validation.status
    if status in statuses:
        return True
    return SPEC_FAULT in statuses and m.validation.spec_fault


class _TypeMatcher:
    """Exact event types, plus ``prefix.*`` wildcards for a group."""

    __slots__ = ("exact", "prefixes")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.exact = {p for p in patterns if not p.endswith("*")}
        self.prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))

    def match(self, event_type: str | None) -> bool:
        if event_type is None:
            return "" in self.exact
        return event_type in self.exact or (bool(self.prefixes)
                                            and event_type.startswith(self.prefixes))


def _time(name: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise FilterError(f"{name}: expected an ISO 8601 time or epoch seconds, "
                          f"got {value!r}") from None


def _strings(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(v, str) for v in items):
        raise FilterError(f"{name}: expected a string or a list of strings")
    return tuple(v for v in items if v != "" or name == "eventType")


def parse_filter(params: Mapping[str, Any]) -> Filter:
    """A Filter from REST query parameters or a subscribe frame's ``filter`` object.

    ``params`` maps each name to a string or a list of strings; unknown names are ignored
    so links stay forward compatible, but a bad value is an error.
    """
    lists = {k: _strings(k, params.get(k)) for k in LIST_KEYS}
    for status in lists["status"]:
        if status not in FILTER_STATUSES:
            raise FilterError(f"status: unknown status {status!r}; expected one of "
                              + ", ".join(FILTER_STATUSES))
    q = params.get("q") or ""
    if isinstance(q, list):
        q = q[-1] if q else ""
    if not isinstance(q, str):
        raise FilterError("q: expected a string")
    since = params.get("since")
    until = params.get("until")
    return Filter(
        event_types=lists["eventType"], exclude_event_types=lists["excludeEventType"],
        statuses=lists["status"], sources=lists["source"], persons=lists["person"], q=q,
        since=_time("since", _scalar(since)) if since else None,
        until=_time("until", _scalar(until)) if until else None,
    )


def _scalar(value: Any) -> str:
    if isinstance(value, list):
        value = value[-1]
    return str(value)


def parse_int(name: str, value: Any, default: int | None, low: int = 0,
              high: int = MAX_LIMIT) -> int | None:
    """An integer parameter in ``[low, high]``, or a FilterError that says what was wrong."""
    if value is None or value == "":
        return default
    if isinstance(value, list):
        value = value[-1]
    if isinstance(value, bool):
        raise FilterError(f"{name}: expected an integer, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FilterError(f"{name}: expected an integer, got {value!r}") from None
    if not low <= number <= high:
        raise FilterError(f"{name}: must be between {low} and {high}, got {number}")
    return number
