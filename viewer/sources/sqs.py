"""The SQS consumer: long polls one queue, stores each message, then deletes it."""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)

WAIT_SECONDS = 20
BATCH = 10
# Test-only: with this variable set to N, the consumer stops before storing message N of a
# batch (0 = the first) and waits for stop(), so a test can kill or stop the process
# between receive and store. Deliberately not a setting: no flag, no use outside tests.
TEST_HOLD_ENV = "VIEWER_TEST_HOLD_BEFORE_STORE"
# The read timeout must outlast the long poll, or every empty poll would look like a failure.
BOTO_CONFIG = Config(connect_timeout=5, read_timeout=WAIT_SECONDS + 10,
                     retries={"mode": "standard", "max_attempts": 3})


@dataclass
class QueueRef:
    """A queue to watch: its label (the message ``source``), name or URL, and DLQ name."""

    label: str
    name_or_url: str
    dlq: str | None = None
    topic_label: str | None = None

    @classmethod
    def parse(cls, text: str) -> QueueRef:
        """``name``, ``URL`` or ``label=name-or-URL``."""
        label, sep, target = text.partition("=")
        if sep and label and "/" not in label and ":" not in label:
            return cls(label=label, name_or_url=target)
        target = text
        return cls(label=target.rstrip("/").rsplit("/", 1)[-1], name_or_url=target)


class Backoff:
    """Capped exponential backoff with full jitter."""

    def __init__(self, base: float = 0.5, cap: float = 30.0,
                 rand: Callable[[], float] = random.random) -> None:
        self.base, self.cap, self.rand = base, cap, rand
        self.failures = 0

    def next_delay(self) -> float:
        """The next wait after a failure: random in [ceiling/2, ceiling], ceiling doubling."""
        ceiling = min(self.cap, self.base * (2 ** self.failures))
        self.failures += 1
        return ceiling / 2 + self.rand() * ceiling / 2

    def reset(self) -> None:
        """Back to the start after a success."""
        self.failures = 0


@dataclass
class ConsumerHealth:
    """What the consumer knows of its own state, reported honestly."""

    status: str = "STARTING"
    reason: str | None = None
    last_poll_at: float | None = None
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    delete_failures: int = 0
    errors: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class SqsConsumer:
    """Polls one queue in a thread of its own until ``stop()``.

    ``handle(sqs_messages, label) -> int`` stores messages in order and says how many, from
    the first, it took; the rest are not deleted (SQS shows them again later).
    """

    def __init__(self, client: Any, queue: QueueRef,
                 handle: Callable[[list[dict[str, Any]], str], int], *,
                 wait_seconds: int = WAIT_SECONDS, backoff: Backoff | None = None,
                 on_error: Callable[[str, str], None] | None = None) -> None:
        if not 0 <= wait_seconds <= WAIT_SECONDS:
            raise ValueError(f"SQS wait must be 0-{WAIT_SECONDS} s, got {wait_seconds}")
        read_timeout = getattr(getattr(getattr(client, "meta", None), "config", None),
                               "read_timeout", None)
        if isinstance(read_timeout, int | float) and read_timeout <= wait_seconds:
            # Every empty long poll would end in a ReadTimeout and look like an outage.
            raise ValueError(f"the SQS client's read timeout ({read_timeout} s) must exceed "
                             f"the long-poll wait ({wait_seconds} s)")
        self.client = client
        self.queue = queue
        self.handle = handle
        self.wait_seconds = wait_seconds
        self.backoff = backoff or Backoff()
        self.on_error = on_error or (lambda _label, _kind: None)
        self.health = ConsumerHealth()
        self.queue_url: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending: list[dict[str, Any]] = []  # received, not yet stored
        hold = os.environ.get(TEST_HOLD_ENV, "")
        self._hold_at = int(hold) if hold.isdigit() else None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Start polling in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name=f"sqs-{self.queue.label}",
                                        daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to stop without waiting (so several queues stop together)."""
        self._stop.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop polling (within the long-poll wait) and hand back unstored messages."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the polling thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def resolve_url(self) -> str:
        """The queue URL (a name is looked up once)."""
        if self.queue_url is None:
            target = self.queue.name_or_url
            if target.startswith(("http://", "https://")):
                self.queue_url = target
            else:
                self.queue_url = self.client.get_queue_url(QueueName=target)["QueueUrl"]
        return self.queue_url

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.poll_once()
                    self.backoff.reset()
                except (BotoCoreError, ClientError, OSError) as exc:
                    self._failed(exc)
        except Exception as exc:  # the thread must not die silently: say why in /health
            log.exception("consumer %s died", self.queue.label)
            self.health.status, self.health.reason = "DOWN", f"consumer died: {exc!r}"
            raise
        finally:
            self._release_pending()
            if self.health.status != "DOWN":
                self.health.status, self.health.reason = "STOPPED", "stopped"

    def _failed(self, exc: Exception) -> None:
        kind = type(exc).__name__
        if isinstance(exc, ClientError):
            kind = exc.response.get("Error", {}).get("Code", kind)
        self.health.errors += 1
        self.health.status, self.health.reason = "DOWN", f"{kind}: {exc}"
        self.on_error(self.queue.label, kind)
        delay = self.backoff.next_delay()
        log.warning("queue %s: %s; retrying in %.1fs", self.queue.label, kind, delay)
        self._stop.wait(delay)

    # -- one round -----------------------------------------------------------------------

    def poll_once(self) -> int:
        """One long poll: store each message, then delete the stored ones. Returns the count."""
        url = self.resolve_url()
        answer = self.client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=self.wait_seconds,
            MessageAttributeNames=["All"], AttributeNames=["All"],
        )
        self.health.last_poll_at = time.time()
        self.health.status, self.health.reason = "UP", None
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        self._pending = list(messages)
        self.health.received += len(messages)
        done: list[dict[str, Any]] = []
        while self._pending:
            if self._stop.is_set():
                break  # the rest is made visible again by _release_pending
            if self._hold_at is not None and len(done) == self._hold_at:
                log.warning("test hold: %d received, %d stored; waiting for stop",
                            len(messages), len(done))
                self._stop.wait()
                continue
            batch = self._pending if self._hold_at is None else \
                self._pending[: self._hold_at - len(done)]
            taken = self.handle(batch, self.queue.label)
            done += self._pending[:taken]
            del self._pending[:taken]
            if taken < len(batch):
                break  # the store refused one: leave it and the rest on the queue
        self.health.stored += len(done)
        self._delete(url, done)
        if self._pending and not self._stop.is_set():
            raise OSError("the store did not take a message; it stays on the queue")
        return len(done)

    def _delete(self, url: str, messages: list[dict[str, Any]]) -> None:
        if not messages:
            return
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                   for i, m in enumerate(messages)]
        answer = self.client.delete_message_batch(QueueUrl=url, Entries=entries)
        for failed in answer.get("Failed", []):
            self.health.delete_failures += 1
            self.on_error(self.queue.label, "DeleteFailed")
            index = int(failed.get("Id", -1))
            message_id = messages[index]["MessageId"] if 0 <= index < len(messages) else "?"
            # The message will come back; the store's dedupe keeps it from showing twice.
            log.warning("queue %s: delete failed for message %s: %s %s", self.queue.label,
                        message_id, failed.get("Code"), failed.get("Message"))

    def _release_pending(self) -> None:
        """Make received-but-unstored messages visible again at once (visibility 0)."""
        pending, self._pending = self._pending, []
        if not pending or self.queue_url is None:
            return
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                   for i, m in enumerate(pending)]
        try:
            self.client.change_message_visibility_batch(QueueUrl=self.queue_url,
                                                        Entries=entries)
            log.info("queue %s: released %d unstored messages", self.queue.label, len(entries))
        except (BotoCoreError, ClientError, OSError) as exc:
            log.warning("queue %s: could not release %d messages: %s", self.queue.label,
                        len(entries), exc)

    # -- health --------------------------------------------------------------------------

    def queue_health(self) -> dict[str, Any]:
        """Name, depth, in flight, and the DLQ's name and depth when there is one."""
        out: dict[str, Any] = {"label": self.queue.label, "status": self.health.status,
                               "received": self.health.received,
                               "deleteFailures": self.health.delete_failures}
        if self.health.reason:
            out["reason"] = self.health.reason
        if not self.alive and self.health.status not in ("STOPPED",):
            out["status"], out["reason"] = "DOWN", self.health.reason or "consumer not running"
        try:
            url = self.resolve_url()
            attrs = self.client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
                "Attributes"]
            out["queueName"] = url.rstrip("/").rsplit("/", 1)[-1]
            out["messagesOnQueue"] = int(attrs.get("ApproximateNumberOfMessages", 0))
            out["messagesInFlight"] = int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0))
            dlq = self.queue.dlq or _dlq_name(attrs.get("RedrivePolicy"))
            if dlq:
                out["dlqName"] = dlq
                dlq_url = self.client.get_queue_url(QueueName=dlq)["QueueUrl"]
                dlq_attrs = self.client.get_queue_attributes(
                    QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
                out["dlqDepth"] = int(dlq_attrs["Attributes"].get(
                    "ApproximateNumberOfMessages", 0))
        except (BotoCoreError, ClientError, OSError) as exc:
            out["status"], out["reason"] = "DOWN", f"cannot reach queue: {exc}"
        return out


def _dlq_name(redrive_policy: str | None) -> str | None:
    if not redrive_policy:
        return None
    try:
        arn = json.loads(redrive_policy).get("deadLetterTargetArn", "")
    except ValueError:
        return None
    return arn.rsplit(":", 1)[-1] or None

