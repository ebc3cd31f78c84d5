"""Feeds SQS-shaped SNS notifications to a sink at a steady rate, stamping ``sentAt``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from bench.common import event_texts, sns_envelope

_MARK = '"sentAt":0.0'


class Feeder:
    """Calls ``sink(sqs_message)`` ``rate`` times a second for ``seconds`` (own thread)."""

    def __init__(self, sink: Callable[[dict[str, Any]], Any], seed: int = 23) -> None:
        self.sink = sink
        self.templates = [(t, text) for t, text in event_texts(500, seed=seed,
                                                                 invalid_share=0.05)]
        self.sent = 0
        self._count = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def message(self, stamp: float | None = None) -> dict[str, Any]:
        """The next notification, its ``sentAt`` set to ``stamp`` (default: now)."""
        event_type, text = self.templates[self._count % len(self.templates)]
        self._count += 1
        when = time.time() if stamp is None else stamp
        text = text.replace(_MARK, f'"sentAt":{when:.6f}', 1)
        return {"MessageId": f"feed-{self._count}", "ReceiptHandle": "-",
                "Body": sns_envelope(text, event_type, f"feed-{self._count}")}

    def preload(self, n: int) -> None:
        """Hand over ``n`` messages at once (a backlog)."""
        for _ in range(n):
            self.sink(self.message(0.0))

    def start(self, rate: float, seconds: float) -> None:
        """Feed at ``rate`` per second for ``seconds``, on schedule (no drift)."""
        self._thread = threading.Thread(target=self._run, args=(rate, seconds), daemon=True,
                                        name="bench-feeder")
        self._thread.start()

    def _run(self, rate: float, seconds: float) -> None:
        start = time.monotonic()
        total = int(rate * seconds)
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            self.sink(self.message())
            self.sent += 1

    def stop(self) -> None:
        """Stop feeding."""
        self._stop.set()
