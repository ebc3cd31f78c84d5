"""Prometheus ``/metrics`` in the text exposition format (0.0.4), written by hand.

Counters are this replica's own work (what its consumers received, deleted, failed); gauges
describe its view (buffer, websocket clients) and the queues (depth, from the cached health
report so a scrape does not call SQS). Event types come from publishers, so the number of
``event_type`` label values is capped: the rest are counted under ``other``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, Response, current_app

from viewer import __version__
from viewer.core import OTHER_TYPES

bp = Blueprint("metrics", __name__)

PREFIX = "events_viewer_"
MAX_EVENT_TYPES = 200
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def escape(value: object) -> str:
    """A label value as the exposition format quotes it."""
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Exposition:
    """Collects metric families and renders them."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str,
               samples: Iterable[tuple[dict[str, Any], float]]) -> None:
        """One family: HELP, TYPE and its samples (label dict, value)."""
        self.lines.append(f"# HELP {PREFIX}{name} {help_text}")
        self.lines.append(f"# TYPE {PREFIX}{name} {kind}")
        for labels, value in samples:
            text = ",".join(f'{k}="{escape(v)}"' for k, v in labels.items())
            self.lines.append(f"{PREFIX}{name}{{{text}}} {_number(value)}" if text
                              else f"{PREFIX}{name} {_number(value)}")

    def render(self) -> str:
        return "\n".join(self.lines) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _capped_types(received: Counter[tuple[str, str | None, str]]
                  ) -> Counter[tuple[str, str]]:
    """(source, event type) counts, the rarest types beyond the cap folded into ``other``."""
    by_type = Counter[str | None]()
    for (_, event_type, _), n in received.items():
        by_type[event_type] += n
    kept = {t for t, _ in by_type.most_common(MAX_EVENT_TYPES)}
    out = Counter[tuple[str, str]]()
    for (source, event_type, _), n in received.items():
        label = (event_type or "none") if event_type in kept else OTHER_TYPES
        out[(source, label)] += n
    return out


def collect(app: Flask) -> str:
    """The whole exposition for this app's viewer."""
    viewer = app.extensions["viewer"]
    out = Exposition()
    out.family("build_info", "gauge", "Version of the running viewer.",
               [({"version": __version__}, 1)])
    received = Counter(viewer.received)  # a copy: consumers keep counting meanwhile
    out.family("messages_received_total", "counter",
               "Messages this replica's consumers stored, by source and event type.",
               [({"source": s, "event_type": t}, n)
                for (s, t), n in sorted(_capped_types(received).items())])
    statuses = Counter[str]()
    for (_, _, status), n in received.items():
        statuses[status] += n
    out.family("messages_by_status_total", "counter",
               "Messages this replica's consumers stored, by validation status.",
               [({"status": s}, n) for s, n in sorted(statuses.items())])
    counters = Counter(viewer.counters)
    out.family("duplicates_total", "counter", "Redelivered messages stored only once.",
               [({"source": src}, n) for (kind, src), n in sorted(counters.items())
                if kind == "duplicate"])
    out.family("delete_failures_total", "counter",
               "Messages stored but not deleted from their queue (they come back).",
               [({"source": c.queue.label}, c.health.delete_failures)
                for c in viewer.consumers])
    out.family("consumer_errors_total", "counter", "Failed polls and deletes, by kind.",
               [({"source": src, "kind": kind[len("error:"):]}, n)
                for (kind, src), n in sorted(counters.items()) if kind.startswith("error:")])
    store = viewer.store
    out.family("buffer_messages", "gauge", "Messages in this replica's buffer.",
               [({}, len(store))])
    out.family("buffer_capacity", "gauge", "Largest number of messages the buffer keeps.",
               [({}, store.max_size)])
    hub = app.extensions.get("viewer.hub")
    out.family("websocket_clients", "gauge", "Open websocket connections to this replica.",
               [({}, len(hub.clients) if hub is not None else 0)])
    journal = getattr(viewer, "journal", None)
    if journal is not None:
        out.family("store_up", "gauge", "1 while the shared (Redis) store answers.",
                   [({}, 1 if journal.connected else 0)])
        out.family("store_errors_total", "counter", "Failed shared-store operations.",
                   [({}, journal.errors)])
    out.family("queue_messages", "gauge",
               "Approximate messages on each queue: visible, in flight, and on its DLQ.",
               _queue_depths(app))
    return out.render()


def _queue_depths(app: Flask) -> list[tuple[dict[str, Any], float]]:
    cache = app.extensions.get("viewer.health")
    if cache is None:
        return []
    samples: list[tuple[dict[str, Any], float]] = []
    for name, component in cache.report()["components"].items():
        if not name.startswith("queue-"):
            continue
        details = component.get("details") or {}
        source = details.get("label", name[len("queue-"):])
        for key, state in (("messagesOnQueue", "visible"), ("messagesInFlight", "in_flight"),
                           ("dlqDepth", "dlq")):
            if isinstance(details.get(key), int):
                samples.append(({"source": source, "state": state}, details[key]))
    return samples


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition."""
    return Response(collect(current_app._get_current_object()),  # type: ignore[attr-defined]
                    content_type=CONTENT_TYPE)


def init_app(app: Flask) -> None:
    """Register ``/metrics``."""
    app.register_blueprint(bp)
