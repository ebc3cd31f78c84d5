"""The embedded demo holds what its buffer holds, however long it runs (figure 8)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.conftest import wait_until
from viewer.core import Viewer
from viewer.demo.events import GENERATORS
from viewer.message import Message, SharedEnvelope
from viewer.settings import resolve
from viewer.sources.sqs import BATCH

BUFFER = 20


def alive(kind: type) -> int:
    """How many objects of ``kind`` are alive."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is kind)


@pytest.fixture
def demo() -> Iterator[Viewer]:
    """The embedded default (its own local SQS/SNS child and demo traffic), a tiny buffer."""
    viewer = Viewer(resolve({"EMBEDDED": True, "DEMO_RATE": 200, "BUFFER_SIZE": BUFFER,
                             "SQS_WAIT_SECONDS": 1, "SPEC_WATCH": False}, environ={}))
    viewer.start()
    yield viewer
    viewer.stop(timeout=10)


def test_messages_and_envelopes_stay_bounded_after_the_buffer_fills(demo: Viewer):
    # Well past the buffer and the ids remembered for dedupe (twice the buffer).
    wait_until(lambda: demo.store.last_seq >= 6 * BUFFER, timeout=60,
               message=f"{6 * BUFFER} demo messages through the pipeline")
    assert len(demo.store) == BUFFER
    # Evicted messages are freed: the buffer, plus at most one batch in the consumer's hands.
    # This counts every Message in the process, so it also catches an earlier test's viewer
    # kept alive (a leaked connection thread once held a hub and its buffer); a connection
    # that is ending may take a moment to let go, so wait for the count rather than read it.
    wait_until(lambda: alive(Message) <= BUFFER + BATCH, timeout=10,
               message=f"at most {BUFFER + BATCH} Messages alive in the process")
    # Every demo envelope of one event type has one shape, held once (the local endpoint
    # signs with one certificate, as SNS does, not one per message).
    shapes = alive(SharedEnvelope)
    assert shapes <= len(GENERATORS)
    assert len(demo.envelopes) <= len(GENERATORS)
