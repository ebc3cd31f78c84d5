"""The rolling in-memory buffer: seq numbers, dedupe, indexes, queries and change signals."""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from itertools import compress, islice
from operator import attrgetter, methodcaller
from typing import Any

from viewer.filters import Filter
from viewer.message import Message, Validation, iso_utc

Listener = Callable[[str, Any], None]


class SeqList:
    """Messages in seq order; appends at the end, evicts from the front, in O(1)."""

    __slots__ = ("_items", "_head")

    def __init__(self) -> None:
        self._items: list[Message] = []
        self._head = 0

    def __len__(self) -> int:
        return len(self._items) - self._head

    def append(self, m: Message) -> None:
        self._items.append(m)

    def popleft(self) -> Message:
        m = self._items[self._head]
        self._head += 1
        # Compact once the dead front is an eighth of the list: amortised O(1) (at most eight
        # pointer moves per eviction, in C), and evicted messages are freed promptly. A
        # fixed threshold of 1,024 kept that many dead messages alive per event type.
        if self._head > 16 and self._head * 8 > len(self._items):
            del self._items[: self._head]
            self._head = 0
        return m

    def first(self) -> Message | None:
        return self._items[self._head] if len(self) else None

    def last(self) -> Message | None:
        return self._items[-1] if len(self) else None

    def position(self, seq: int) -> int:
        """Index of the first message with seq >= ``seq``."""
        return bisect_left(self._items, seq, lo=self._head, key=_seq)

    def get(self, seq: int) -> Message | None:
        i = self.position(seq)
        if i < len(self._items) and self._items[i].seq == seq:
            return self._items[i]
        return None

    def newest_first(self, before: int | None = None, after: int | None = None
                     ) -> Iterator[Message]:
        """Messages newest first, with ``after < seq < before``."""
        hi = len(self._items) if before is None else self.position(before)
        lo = self._head if after is None else self.position(after + 1)
        # Walked in C, without a copy (callers hold the store's lock); a Python loop over
        # 100,000 indexes costs milliseconds.
        n = len(self._items)
        return islice(reversed(self._items), n - hi, max(n - hi, n - lo))

    def count_between(self, before: int | None, after: int | None) -> int:
        hi = len(self._items) if before is None else self.position(before)
        lo = self._head if after is None else self.position(after + 1)
        return max(0, hi - lo)


def _seq(m: Message) -> int:
    return m.seq


_raw = attrgetter("raw")


class MemoryStore:
    """A bounded buffer of messages with a monotonically increasing ``seq``.

    One writer at a time (under ``lock``); listeners are told of every change while the lock
    is held, so a subscriber that snapshots under the lock never misses or doubles a message.
    """

    def __init__(self, max_size: int = 10_000) -> None:
        if max_size < 1:
            raise ValueError("buffer size must be at least 1")
        self.max_size = max_size
        self.lock = threading.RLock()
        self._all = SeqList()
        self._by_type: dict[str | None, SeqList] = {}
        self._by_person: dict[str, SeqList] = {}
        self._status = Counter[str]()
        self._ids: dict[str, int] = {}
        self._id_order: deque[str] = deque()
        self._last_seen: dict[str | None, float] = {}
        self._listeners: list[Listener] = []
        self.last_seq = 0
        self.duplicates = 0
        self.evicted = 0

    # -- writing -------------------------------------------------------------------------

    def put(self, m: Message) -> Message | None:
        """Store ``m`` with the next seq; None (and nothing stored) when it is a redelivery."""
        with self.lock:
            if m.message_id in self._ids:
                self.duplicates += 1
                return None
            self.last_seq = m.seq = max(self.last_seq + 1, m.seq)
            self._insert(m)
            return m

    def insert(self, m: Message) -> Message | None:
        """Store ``m`` with the seq it already has (given by a shared store); None if seen."""
        with self.lock:
            if m.message_id in self._ids or m.seq <= self.last_seq:
                self.duplicates += 1
                return None
            self.last_seq = m.seq
            self._insert(m)
            return m

    def _insert(self, m: Message) -> None:
        # Runs for every message: no throwaway objects (setdefault's SeqList, a set of one).
        self._remember(m.message_id, m.seq)
        self._all.append(m)
        by_type = self._by_type.get(m.event_type)
        if by_type is None:
            by_type = self._by_type[m.event_type] = SeqList()
        by_type.append(m)
        identifiers = m.identifiers
        persons = (identifiers[0][1],) if len(identifiers) == 1 else {v for _, v in identifiers}
        for person in persons:
            index = self._by_person.get(person)
            if index is None:
                index = self._by_person[person] = SeqList()
            index.append(m)
        self._status[m.validation.status] += 1
        self._last_seen[m.event_type] = m.received_at
        while len(self._all) > self.max_size:
            self._evict()
        if self._listeners:
            self._emit("add", m)

    def _remember(self, message_id: str, seq: int) -> None:
        self._ids[message_id] = seq
        self._id_order.append(message_id)
        # Remember ids for twice the buffer so a late redelivery of an evicted one is caught.
        while len(self._id_order) > 2 * self.max_size:
            self._ids.pop(self._id_order.popleft(), None)

    def _evict(self) -> None:
        m = self._all.popleft()
        self.evicted += 1
        by_type = self._by_type[m.event_type]
        by_type.popleft()
        if not by_type:
            del self._by_type[m.event_type]
            self._last_seen.pop(m.event_type, None)
        for person in {v for _, v in m.identifiers}:
            index = self._by_person[person]
            index.popleft()
            if not index:
                del self._by_person[person]
        self._status[m.validation.status] -= 1

    def revalidate(self, judge: Callable[[Message], Validation],
                   event_types: Iterable[str | None] | None = None) -> list[Message]:
        """Re-judge buffered messages (all, or of some event types); return those that changed."""
        changed: list[Message] = []
        with self.lock:
            if event_types is None:
                candidates: Iterable[Message] = list(self._all.newest_first())
            else:
                candidates = [m for t in set(event_types) if t in self._by_type
                              for m in self._by_type[t].newest_first()]
            for m in candidates:
                verdict = judge(m)
                if verdict != m.validation:  # the same fields as_dict() shows, compared
                    self._status[m.validation.status] -= 1
                    self._status[verdict.status] += 1
                    m.validation = verdict
                    changed.append(m)
            changed.sort(key=_seq)
            if changed:
                self._emit("revalidated", changed)
        return changed

    # -- listening -----------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(kind, payload)`` on every change, under the lock: keep it quick."""
        with self.lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        with self.lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _emit(self, kind: str, payload: Any) -> None:
        for listener in list(self._listeners):
            listener(kind, payload)

    # -- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._all)

    def get(self, seq: int) -> Message | None:
        """The message with this seq, if still buffered."""
        with self.lock:
            return self._all.get(seq)

    def query(self, flt: Filter, limit: int | None = 100, before: int | None = None,
              after: int | None = None) -> tuple[list[Message], int]:
        """Matches newest first (at most ``limit``) and the count of all matches."""
        with self.lock:
            fast = self._count_fast(flt, before, after)
            out: list[Message] = []
            candidates = self._candidates(flt, before, after)
            anchor = getattr(flt, "text_anchor", None)
            if anchor:  # rule out texts without it in C: the Python test sees only the rest
                holds = map(methodcaller("__contains__", anchor),
                            map(_raw, self._candidates(flt, before, after)))
                candidates = compress(candidates, holds)
            found = filter(flt.matches, candidates)
            if limit is not None:
                out.extend(islice(found, limit))
                if fast is not None:
                    return out, fast  # the total is known: no need to scan the rest
            else:
                out.extend(found)
            return out, len(out) + sum(1 for _ in found)

    def _count_fast(self, flt: Filter, before: int | None, after: int | None) -> int | None:
        """The match count without a scan, where the indexes give it."""
        plain = Filter(event_types=flt.event_types)
        if flt.event_types and flt == plain and not any(t.endswith("*") for t in
                                                          flt.event_types):
            return sum(self._by_type[t or None].count_between(before, after)
                       for t in set(flt.event_types) if (t or None) in self._by_type)
        if flt.statuses and flt == Filter(statuses=flt.statuses) and before is None \
                and after is None and "specFault" not in flt.statuses:
            return sum(self._status[s] for s in set(flt.statuses))
        if flt.is_empty:
            return self._all.count_between(before, after)
        return None

    def _candidates(self, flt: Filter, before: int | None, after: int | None
                    ) -> Iterator[Message]:
        """The smallest index that holds every possible match, newest first."""
        lists: list[SeqList] | None = None
        if flt.event_types and not any(t.endswith("*") for t in flt.event_types):
            lists = [self._by_type[t or None] for t in set(flt.event_types)
                     if (t or None) in self._by_type]
        if flt.persons:
            persons = [self._by_person[p] for p in set(flt.persons) if p in self._by_person]
            if lists is None or sum(map(len, persons)) < sum(map(len, lists)):
                lists = persons
        if lists is None:
            return self._all.newest_first(before, after)
        if len(lists) == 1:
            return lists[0].newest_first(before, after)
        merged = heapq.merge(*(s.newest_first(before, after) for s in lists),
                             key=_seq, reverse=True)
        return _unique(merged)

    def event_types(self) -> list[dict[str, Any]]:
        """Every buffered event type with its count and when it was last seen."""
        with self.lock:
            return sorted(
                ({"eventType": t, "count": len(s), "lastSeenAt": iso_utc(self._last_seen[t])}
                 for t, s in self._by_type.items()),
                key=lambda row: (-row["count"], row["eventType"] or ""))

    def type_counts(self) -> dict[str | None, tuple[int, Counter[str]]]:
        """Per event type: (count, statuses), for the overview and the catalogue."""
        with self.lock:
            out: dict[str | None, tuple[int, Counter[str]]] = {}
            for t, s in self._by_type.items():
                out[t] = (len(s), Counter(m.validation.status for m in s.newest_first()))
            return out

    def stats(self) -> dict[str, Any]:
        """Size, seq and status counts."""
        with self.lock:
            first = self._all.first()
            return {"size": len(self._all), "maxSize": self.max_size,
                    "lastSeq": self.last_seq, "firstSeq": first.seq if first else None,
                    "statuses": {k: v for k, v in self._status.items() if v},
                    "duplicates": self.duplicates, "evicted": self.evicted}


def _unique(messages: Iterable[Message]) -> Iterator[Message]:
    last = None
    for m in messages:
        if m.seq != last:
            last = m.seq
            yield m
