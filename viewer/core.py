"""The viewer itself, independent of the web app: sources -> judge -> store."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import boto3
import orjson

from viewer import hmpps
from viewer import settings as settings_mod
from viewer.message import Message, Validation
from viewer.sns import EnvelopeCache, build_message, from_sqs
from viewer.sources.sqs import BOTO_CONFIG, QueueRef, SqsConsumer
from viewer.specs.registry import SpecRegistry
from viewer.specs.service import SpecService
from viewer.store import open_store
from viewer.store.memory import MemoryStore
from viewer.validation import Judge

log = logging.getLogger(__name__)

# Distinct (source, event type, status) counts kept; types beyond are counted as OTHER_TYPES.
MAX_COUNTED = 4096
OTHER_TYPES = "other"


class Viewer:
    """Owns the spec registry, the judge, the store and the queue consumers."""

    def __init__(self, config: dict[str, Any] | None = None, *,
                 sqs_client: Any = None) -> None:
        # Defaults < environment < config; a fully resolved config (create_app's) wins whole.
        self.config = settings_mod.resolve(config)
        self.registry = SpecRegistry()
        self.judge = Judge(self.registry)
        self.specs = SpecService(self)  # loads on start(), reloads on change
        self.store = MemoryStore(self.config["BUFFER_SIZE"])
        self.envelopes = EnvelopeCache()  # each SNS envelope shape unpacked and kept once
        # HMPPS_SQS_* (read from HMPPS_ENV when given, so tests need not touch os.environ).
        self.hmpps = hmpps.load(self.config.get("HMPPS_ENV", os.environ))
        self.queues = [QueueRef.parse(q) for q in self.config["QUEUES"]] + self.hmpps.queues
        # A shared store (Redis) journals messages; self.store stays the local queryable view.
        self.journal = open_store(self.config.get("STORE", "memory"), self.store,
                                  ttl=self.config.get("STORE_TTL", 24 * 3600))
        self.embedded: Any = None
        self.consumers: list[SqsConsumer] = []
        self.counters: Counter[tuple[str, str]] = Counter()
        self.received: Counter[tuple[str, str | None, str]] = Counter()  # source, type, status
        self._sqs_client = sqs_client
        self._started = False
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def embedded_mode(self) -> bool:
        """True when the viewer runs its own local endpoint and demo traffic."""
        return bool(self.config["EMBEDDED"]) or not self.queues

    def start(self) -> None:
        """Start the embedded endpoint (if any) and one consumer per queue. Idempotent."""
        with self._lock:
            if self._started:
                return
            self.specs.start()  # before any traffic, so every message meets its spec
            self._started = True
            client = self._sqs_client
            if self.embedded_mode and not self.queues:
                from viewer.sources.embedded import Embedded

                self.embedded = Embedded(rate=self.config["DEMO_RATE"])
                self.queues = [self.embedded.start()]
                client = client or self.embedded.sqs_client()
            if client is None and self.hmpps.configured:
                client = self.hmpps.client("sqs", BOTO_CONFIG)
            client = client or boto3.session.Session().client(
                "sqs", config=BOTO_CONFIG,
                region_name=boto3.session.Session().region_name or "eu-west-2")
            if self.embedded is None:  # a queue that does not exist is a start-up error
                hmpps.check_queues(client, self.queues, self.hmpps.variables)
            if self.journal is not None:
                self.journal.start()
            for queue in self.queues:
                consumer = SqsConsumer(client, queue, self.handle_batch,
                                       on_error=self._count_error,
                                       wait_seconds=self.config["SQS_WAIT_SECONDS"])
                self.consumers.append(consumer)
                consumer.start()

    def stop(self, timeout: float = 25.0) -> None:
        """Stop polling (unstored messages go back on their queue), then the embedded parts."""
        self.specs.stop()
        for consumer in self.consumers:
            consumer.request_stop()
        for consumer in self.consumers:
            consumer.stop(timeout)
        if self.embedded is not None:
            self.embedded.stop()
        if self.journal is not None:
            self.journal.stop()

    # -- the pipeline --------------------------------------------------------------------

    def handle(self, sqs_message: dict[str, Any], label: str) -> bool:
        """Judge and store one SQS message; False if the store could not take it."""
        return self.handle_batch((sqs_message,), label) == 1

    def handle_batch(self, sqs_messages: Iterable[dict[str, Any]], label: str) -> int:
        """Judge and store SQS messages in order (a receive brings up to ten).

        Returns how many, from the first, were taken (stored, or known redeliveries); the
        rest could not be stored and stay on their queue.
        """
        judge, shapes, now = self.judge, self.envelopes, time.time()  # one receive, one time
        return self.accept_batch([from_sqs(m, label, judge, shapes, now) for m in sqs_messages])

    def accept(self, message: Message) -> bool:
        """Store a built message, counting it; False if the store refused it."""
        return self.accept_batch((message,)) == 1

    def accept_batch(self, messages: Sequence[Message]) -> int:
        """Store built messages in order, counting them; how many were taken."""
        try:
            results = (self.journal or self.store).put_many(messages)
        except Exception:  # a shared store may be down: leave the messages on the queue
            log.exception("store refused message %s", messages[0].message_id)
            return 0
        if len(results) < len(messages):
            log.error("store refused message %s", messages[len(results)].message_id)
        received = self.received
        keys = [(m.source, m.event_type, m.validation.status)
                for m, stored in zip(messages, results, strict=False) if stored is not None]
        if (len(keys) == len(results) and len(received) + len(keys) <= MAX_COUNTED
                and not log.isEnabledFor(logging.INFO)):
            received.update(keys)  # the common batch: all new, none near the cap; in C
            return len(results)
        for message, stored in zip(messages, results, strict=False):
            if stored is None:
                self.counters[("duplicate", message.source)] += 1
                log.info("duplicate message %s (%s) ignored", message.message_id,
                         message.event_type)
                continue
            key = (message.source, message.event_type, message.validation.status)
            if key not in received and len(received) >= MAX_COUNTED:
                # Event types come from publishers: one that makes each type unique must
                # not grow the counters for ever (/metrics shows only the top ones anyway).
                key = (message.source, OTHER_TYPES, message.validation.status)
            received[key] += 1
            log.info("stored message %s seq=%d type=%s status=%s", message.message_id,
                     stored.seq, message.event_type, message.validation.status)
        return len(results)

    def ingest_text(self, raw: str, message_id: str, source: str = "test",
                    attributes: dict[str, str] | None = None) -> Message | None:
        """Store a message given as text (benchmarks and tests without SQS)."""
        message = build_message(raw, message_id, source, attributes or {}, self.judge)
        return (self.journal or self.store).put(message)

    def _count_error(self, label: str, kind: str) -> None:
        self.counters[("error:" + kind, label)] += 1

    def rejudge(self, message: Message) -> Validation:
        """A fresh verdict for a buffered message (after a spec reload)."""
        from viewer import jsontext

        if message.parse_error is None:
            # It parsed when it arrived, and its parse warnings cannot change: skip the
            # strict checks (a third of the cost of re-judging 100,000 messages).
            value = orjson.loads(message.raw)
            warnings = message.validation.warnings
            verdict = self.judge.passing(value) if not warnings and type(value) is dict \
                else None
            return verdict or self.judge.judge(value, None,
                                               message.attributes.get("eventType"), warnings)
        parsed = jsontext.parse(message.raw)
        body = parsed.value if parsed.error is None else None
        return self.judge.judge(body, parsed.error, message.attributes.get("eventType"),
                                parsed.warnings)

    # -- health --------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``{"status": UP|DOWN, "components": {...}}`` in the HMPPS style."""
        components: dict[str, Any] = {}
        for consumer in self.consumers:
            detail = consumer.queue_health()
            status = "UP" if detail["status"] in ("UP", "STARTING") else "DOWN"
            components["queue-" + consumer.queue.label] = {"status": status, "details": detail}
        components["specs"] = self.specs.health()
        components["store"] = (self.journal.health() if self.journal is not None
                               else {"status": "UP", "details": self.store.stats()})
        down = any(c["status"] == "DOWN" for c in components.values())
        return {"status": "DOWN" if down else "UP", "components": components}
