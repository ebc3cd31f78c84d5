"""The in-memory buffer: seq, eviction, dedupe, indexes and queries, without SQS."""

from __future__ import annotations

import pytest

from viewer.filters import Filter, parse_filter
from viewer.message import Message, Validation
from viewer.store.memory import MemoryStore


def message(n: int, event_type: str = "a.b", person: str | None = None,
            status: str = "valid") -> Message:
    return Message(message_id=f"id-{n}", source="q", raw=f'{{"n": {n}}}',
                   event_type=event_type, attributes={}, received_at=1_700_000_000.0 + n,
                   identifiers=(("NOMS", person),) if person else (),
                   validation=Validation(status))


def test_seq_increases_and_redelivery_is_stored_once():
    store = MemoryStore(10)
    assert store.put(message(1)).seq == 1
    assert store.put(message(1)) is None
    assert store.put(message(2)).seq == 2
    assert store.duplicates == 1


def test_eviction_keeps_the_newest_and_the_indexes_agree():
    store = MemoryStore(5)
    for n in range(1, 13):
        store.put(message(n, "even" if n % 2 == 0 else "odd", person=f"P{n % 3}"))
    assert [m.seq for m in store.query(Filter(), None)[0]] == [12, 11, 10, 9, 8]
    assert store.query(parse_filter({"eventType": "even"}), None)[1] == 3
    assert store.query(parse_filter({"person": "P0"}), None)[1] == 2  # seqs 12 and 9
    assert store.get(7) is None and store.get(8).seq == 8
    assert {t["eventType"]: t["count"] for t in store.event_types()} == {"even": 3, "odd": 2}


def test_evicted_messages_are_not_kept_alive_by_a_quiet_types_index():
    store = MemoryStore(100)
    for n in range(1, 20_001):
        # One message in fifty is of a quiet type; the rest crowd it out of the buffer.
        store.put(message(n, "quiet" if n % 50 == 0 else "busy"))
    first = store.stats()["firstSeq"]
    for index in (store._by_type["quiet"], store._by_type["busy"], store._all):
        assert index and all(m.seq >= first for m in index)  # none outlives the buffer
    assert len(store._by_type["quiet"]) == 2 and len(store._all) == 100


def test_query_paging_and_totals():
    store = MemoryStore(100)
    for n in range(1, 11):
        store.put(message(n, status="invalid" if n % 3 == 0 else "valid"))
    page, total = store.query(parse_filter({"status": "invalid"}), 2)
    assert ([m.seq for m in page], total) == ([9, 6], 3)
    page, total = store.query(Filter(), 3, before=5)
    assert ([m.seq for m in page], total) == ([4, 3, 2], 4)
    page, total = store.query(Filter(), None, after=8)
    assert ([m.seq for m in page], total) == ([10, 9], 2)


def test_revalidate_reports_changes_to_listeners():
    store = MemoryStore(10)
    for n in range(1, 4):
        store.put(message(n, "x" if n < 3 else "y"))
    seen = []
    store.add_listener(lambda kind, payload: seen.append((kind, [m.seq for m in payload]))
                       if kind == "revalidated" else None)
    changed = store.revalidate(lambda m: Validation("invalid"), ["x"])
    assert [m.seq for m in changed] == [1, 2]
    assert seen == [("revalidated", [1, 2])]
    assert store.stats()["statuses"] == {"invalid": 2, "valid": 1}


def test_a_buffer_needs_room():
    with pytest.raises(ValueError):
        MemoryStore(0)
