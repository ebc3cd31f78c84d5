"""Health and info endpoints in the HMPPS style.

``/health`` reports a component per queue and per dead-letter queue, the store and the spec
registry; it calls SQS and Redis, so the report is cached for about two seconds and a probe
storm cannot become an SQS bill. ``/health/liveness`` and ``/health/readiness`` are cheap and
local: liveness fails only when a background thread died (a restart would help), readiness
until the viewer has started and loaded its history.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

from viewer import __version__

bp = Blueprint("health", __name__)

NAME = "hmpps-events-viewer"
CACHE_SECONDS = 2.0


class HealthCache:
    """The viewer's full health report, recomputed at most every ``ttl`` seconds."""

    def __init__(self, viewer: Any, ttl: float = CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.viewer, self.ttl, self.clock = viewer, ttl, clock
        self._lock = threading.Lock()
        self._report: dict[str, Any] | None = None
        self._at = 0.0

    def report(self) -> dict[str, Any]:
        """The cached report (one caller recomputes; the others wait for it)."""
        with self._lock:
            if self._report is None or self.clock() - self._at >= self.ttl:
                self._report = full_report(self.viewer)
                self._at = self.clock()
            return self._report


def full_report(viewer: Any) -> dict[str, Any]:
    """Queues, their DLQs, the store and the spec registry, each UP or DOWN."""
    base = viewer.health()
    components: dict[str, Any] = {}
    for name, component in base["components"].items():
        components[name] = component
        details = component.get("details") or {}
        if name.startswith("queue-") and details.get("dlqName"):
            # The DLQ is UP when it can be read; messages on it are news, not an outage.
            reachable = "dlqDepth" in details
            components["dlq-" + name[len("queue-"):]] = {
                "status": "UP" if reachable else "DOWN",
                "details": {"dlqName": details["dlqName"],
                            "messagesOnDlq": details.get("dlqDepth")}}
    if "specs" not in components:  # the spec service reports itself when it runs
        components["specs"] = registry_health(viewer.registry)
    down = any(c["status"] == "DOWN" for c in components.values())
    return {"status": "DOWN" if down else "UP", "components": components}


def registry_health(registry: Any) -> dict[str, Any]:
    """The registry's own report when it has one, else whether specs are loaded."""
    own = getattr(registry, "health", None)
    if callable(own):
        try:
            report = own()
        except Exception as exc:  # a broken report is itself a finding
            return {"status": "DOWN", "details": {"reason": f"health failed: {exc!r}"}}
        if isinstance(report, dict) and report.get("status") in ("UP", "DOWN"):
            return report
    return {"status": "UP", "details": {"specsLoaded": bool(getattr(registry, "loaded", False))}}


def liveness(viewer: Any) -> list[str]:
    """Background threads that should run but died."""
    dead = [f"consumer {c.queue.label}" for c in viewer.consumers
            if not c.alive and not c._stop.is_set()]
    journal = getattr(viewer, "journal", None)
    if journal is not None and journal._thread is not None and not journal.alive \
            and not journal._stop.is_set():
        dead.append("redis store tail")
    return dead


def readiness(viewer: Any) -> list[str]:
    """What keeps the viewer from serving a useful page yet."""
    waiting = []
    if not getattr(viewer, "_started", False):
        waiting.append("viewer not started")
    journal = getattr(viewer, "journal", None)
    if journal is not None and not journal.loaded:
        waiting.append("history not loaded from the store")
    return waiting


def _probe(problems: list[str]) -> tuple[Response, int]:
    if problems:
        return jsonify(status="DOWN", details={"reasons": problems}), 503
    return jsonify(status="UP"), 200


@bp.get("/health")
def health() -> tuple[Response, int]:
    """Overall status with its components; 503 when DOWN."""
    report = current_app.extensions["viewer.health"].report()
    return jsonify(report), 200 if report["status"] == "UP" else 503


@bp.get("/health/ping")
def ping() -> Response:
    """The process answers."""
    return jsonify(status="UP")


@bp.get("/health/liveness")
def live() -> tuple[Response, int]:
    """DOWN only when a background thread died."""
    return _probe(liveness(current_app.extensions["viewer"]))


@bp.get("/health/readiness")
def ready() -> tuple[Response, int]:
    """UP once started, with its history loaded."""
    return _probe(readiness(current_app.extensions["viewer"]))


@bp.get("/info")
def info() -> Response:
    """Build name and version, and what the viewer watches."""
    viewer = current_app.extensions["viewer"]
    return jsonify(name=NAME, version=__version__, build={"name": NAME, "version": __version__},
                   sources=[{"label": q.label, "dlq": q.dlq, "topic": q.topic_label}
                            for q in viewer.queues],
                   store="redis" if getattr(viewer, "journal", None) is not None else "memory")


def init_app(app: Flask) -> None:
    """Register the health endpoints and the report cache."""
    app.extensions["viewer.health"] = HealthCache(app.extensions["viewer"])
    app.register_blueprint(bp)
