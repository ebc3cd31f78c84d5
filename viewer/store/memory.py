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
from viewer.message import Message, Validation, iso_utc, now

Listener = Callable[[str, Any], None]


# Each index is a deque of messages in seq order: appends at the end and evictions from the
# front stay in C (a Python method per index per message cost more than the rest of the
# store), and an evicted message is freed at once. The helpers below read them by seq.
SeqList = deque[Message]
# Most people appear in one message or a few: their index is a plain list (a deque costs a
# 64-slot block each), promoted to a deque once popping from its front would cost more.
Index = list[Message] | deque[Message]
_PROMOTE = 32


def _seq(m: Message) -> int:
    return m.seq


def position(items: Index, seq: int) -> int:
    """Index of the first message with seq >= ``seq`` (a binary search, in C)."""
    return bisect_left(items, seq, key=_seq)


def newest_first(items: Index, before: int | None = None, after: int | None = None
                 ) -> Iterator[Message]:
    """Messages newest first, with ``after < seq < before`` (callers hold the store's lock)."""
    n = len(items)
    if before is None and after is None:
        return reversed(items)
    hi = n if before is None else position(items, before)
    lo = 0 if after is None else position(items, after + 1)
    return islice(reversed(items), n - hi, max(n - hi, n - lo))


def count_between(items: Index, before: int | None, after: int | None) -> int:
    """How many messages have ``after < seq < before``."""
    hi = len(items) if before is None else position(items, before)
    lo = 0 if after is None else position(items, after + 1)
    return max(0, hi - lo)


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
        self._all: SeqList = deque()
        self._by_type: dict[str | None, SeqList] = {}
        self._by_person: dict[str, Index] = {}
        self._status = Counter[str]()
        self._ids: dict[str, int] = {}
        self._id_order: deque[str] = deque()
        self._listeners: list[Listener] = []
        self.last_seq = 0
        self.duplicates = 0
        self.evicted = 0
        self.created_at = now()

    # -- writing -------------------------------------------------------------------------

    def put(self, m: Message) -> Message | None:
        """Store ``m`` with the next seq; None (and nothing stored) when it is a redelivery."""
        return self.put_many((m,))[0]

    def put_many(self, messages: Iterable[Message]) -> list[Message | None]:
        """``put`` each in order under one lock (a queue delivers ten at a time)."""
        with self.lock:
            return self._insert(messages, True)

    def insert(self, m: Message) -> Message | None:
        """Store ``m`` with the seq it already has (given by a shared store); None if seen."""
        with self.lock:
            return self._insert((m,), False)[0]

    def _insert(self, messages: Iterable[Message], assign: bool) -> list[Message | None]:
        # The hot loop: every message passes here once. Kept flat, on locals, with no
        # throwaway objects (setdefault's deque, a set of one person).
        out: list[Message | None] = []
        ids, id_order, remembered = self._ids, self._id_order, 2 * self.max_size
        everything, by_types, by_person = self._all, self._by_type, self._by_person
        status, listeners, max_size = self._status, self._listeners, self.max_size
        for m in messages:
            message_id = m.message_id
            if message_id in ids or (not assign and m.seq <= self.last_seq):
                self.duplicates += 1
                out.append(None)
                continue
            if assign:
                seq = self.last_seq + 1
                if m.seq < seq:
                    m.seq = seq
            self.last_seq = m.seq
            ids[message_id] = m.seq
            id_order.append(message_id)
            # Ids are remembered for twice the buffer: a late redelivery of an evicted one
            # is still caught.
            if len(id_order) > remembered:
                ids.pop(id_order.popleft(), None)
            everything.append(m)
            by_type = by_types.get(m.event_type)
            if by_type is None:
                by_types[m.event_type] = deque((m,))
            else:
                by_type.append(m)
            identifiers = m.identifiers
            if identifiers:
                for person in (identifiers[0][1],) if len(identifiers) == 1 else \
                        {v for _, v in identifiers}:
                    index = by_person.get(person)
                    if index is None:
                        by_person[person] = [m]
                    elif type(index) is list and len(index) >= _PROMOTE:
                        by_person[person] = deque(index)
                        by_person[person].append(m)
                    else:
                        index.append(m)
            status[m.validation.status] += 1
            if len(everything) > max_size:
                self._evict()
            if listeners:
                self._emit("add", m)
            out.append(m)
        return out

    def _evict(self) -> None:
        m = self._all.popleft()
        self.evicted += 1
        by_type = self._by_type[m.event_type]
        by_type.popleft()
        if not by_type:
            del self._by_type[m.event_type]
        identifiers = m.identifiers
        if identifiers:
            for person in (identifiers[0][1],) if len(identifiers) == 1 else \
                    {v for _, v in identifiers}:
                index = self._by_person[person]
                if len(index) == 1:
                    del self._by_person[person]
                elif type(index) is list:
                    del index[0]
                else:
                    index.popleft()
        self._status[m.validation.status] -= 1

    def revalidate(self, judge: Callable[[Message], Validation],
                   event_types: Iterable[str | None] | None = None) -> list[Message]:
        """Re-judge buffered messages (all, or of some event types); return those that changed."""
        changed: list[Message] = []
        with self.lock:
            if event_types is None:
                candidates: Iterable[Message] = list(reversed(self._all))
            else:
                candidates = [m for t in set(event_types) if t in self._by_type
                              for m in reversed(self._by_type[t])]
            for m in candidates:
                verdict = judge(m)
                if verdict is not m.validation and verdict != m.validation:  # field by field
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
            i = position(self._all, seq)
            if i < len(self._all) and self._all[i].seq == seq:
                return self._all[i]
            return None

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
            return sum(count_between(self._by_type[t or None], before, after)
                       for t in set(flt.event_types) if (t or None) in self._by_type)
        if flt.statuses and flt == Filter(statuses=flt.statuses) and before is None \
                and after is None and "specFault" not in flt.statuses:
            return sum(self._status[s] for s in set(flt.statuses))
        if flt.is_empty:
            return count_between(self._all, before, after)
        return None

    def _candidates(self, flt: Filter, before: int | None, after: int | None
                    ) -> Iterator[Message]:
        """The smallest index that holds every possible match, newest first."""
        lists: list[Index] | None = None
        if flt.event_types and not any(t.endswith("*") for t in flt.event_types):
            lists = [self._by_type[t or None] for t in set(flt.event_types)
                     if (t or None) in self._by_type]
        if flt.persons:
            persons = [self._by_person[p] for p in set(flt.persons) if p in self._by_person]
            if lists is None or sum(map(len, persons)) < sum(map(len, lists)):
                lists = persons
        if lists is None:
            return newest_first(self._all, before, after)
        if len(lists) == 1:
            return newest_first(lists[0], before, after)
        merged = heapq.merge(*(newest_first(s, before, after) for s in lists),
                             key=_seq, reverse=True)
        return _unique(merged)

    def event_types(self) -> list[dict[str, Any]]:
        """Every buffered event type with its count and when it was last seen."""
        with self.lock:
            return sorted(
                ({"eventType": t, "count": len(s), "lastSeenAt": iso_utc(s[-1].received_at)}
                 for t, s in self._by_type.items()),
                key=lambda row: (-row["count"], row["eventType"] or ""))

    def type_counts(self) -> dict[str | None, tuple[int, Counter[str]]]:
        """Per event type: (count, statuses), for the overview and the catalogue."""
        with self.lock:
            out: dict[str | None, tuple[int, Counter[str]]] = {}
            for t, s in self._by_type.items():
                out[t] = (len(s), Counter(m.validation.status for m in s))
            return out

    def complete_since(self) -> float:
        """Since when the buffer holds every message it was given: since it was made, or an
        older message's arrival (one from a shared store), or, once it has evicted, its
        oldest message's arrival. A rate counted over a span that starts earlier would be
        too low."""
        with self.lock:
            oldest = self._all[0].received_at if self._all else None
            if self.evicted and oldest is not None:
                return oldest
            return self.created_at if oldest is None else min(self.created_at, oldest)

    def stats(self) -> dict[str, Any]:
        """Size, seq and status counts."""
        with self.lock:
            first = self._all[0] if self._all else None
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
