"""The page's overview (traffic rate, per event type counts and sparklines) and exports.

Both take the same filter parameters as ``GET /api/messages`` (see ``viewer.filters``), so
the page shows and exports exactly what its filter shows.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from flask import Blueprint, Flask, Response, current_app

from viewer.filters import Filter, FilterError, parse_filter, parse_int
from viewer.message import INVALID, UNPARSEABLE, Message, iso_utc, now
from viewer.web.api import error, json_response, query_params

bp = Blueprint("overview", __name__, url_prefix="/api")

BUCKET_SECONDS = 10
BUCKETS = 60  # ten minutes of 10 s buckets
# The header's "msg/s": arrivals over the last 30 s, or over the time since the buffer began
# holding every arrival when that is shorter; never over less than 5 s, so the first
# message after a start does not read as a burst.
RATE_WINDOW = 30.0
RATE_MIN_SPAN = 5.0
BAD = (INVALID, UNPARSEABLE)
FORMATS = {
    "json": ("application/json", "json"),
    "ndjson": ("application/x-ndjson", "ndjson"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}
CSV_COLUMNS = ("seq", "receivedAt", "publishedAt", "eventType", "source", "status",
               "specFault", "persons", "errors", "messageId", "raw")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@bp.errorhandler(FilterError)
def bad_filter(exc: FilterError) -> Response:
    """A clear 400 naming the parameter."""
    return error(400, str(exc))


def overview_of(messages: Iterable[Message], types: dict[str | None, Any],
                last_seen: dict[str | None, str], flt: Filter, at: float,
                complete_since: float | None = None) -> dict[str, Any]:
    """Rate buckets (all traffic and the filter's share), the current rate and per event
    type counts.

    ``messages`` are the buffered messages received in the window, ``types`` the store's
    ``type_counts()`` (the whole buffer), ``at`` the current time, ``complete_since`` the
    store's ``complete_since()`` (None: the whole rate window is complete).
    """
    first = (math.floor(at / BUCKET_SECONDS) - BUCKETS + 1) * BUCKET_SECONDS
    rate = [{"count": 0, "invalid": 0, "matching": 0} for _ in range(BUCKETS)]
    sparks: dict[str | None, list[int]] = {}
    rate_from = at - RATE_WINDOW if complete_since is None \
        else max(at - RATE_WINDOW, complete_since)
    lately = 0
    for m in messages:
        if rate_from <= m.received_at <= at:
            lately += 1
        i = int((m.received_at - first) // BUCKET_SECONDS)
        if not 0 <= i < BUCKETS:
            continue
        bucket = rate[i]
        bucket["count"] += 1
        if m.validation.status in BAD:
            bucket["invalid"] += 1
        if flt.matches(m):
            bucket["matching"] += 1
        sparks.setdefault(m.event_type, [0] * BUCKETS)[i] += 1
    rows = []
    for event_type, (count, statuses) in types.items():
        rows.append({
            "eventType": event_type,
            "count": count,
            "invalid": statuses.get(INVALID, 0),
            "unparseable": statuses.get(UNPARSEABLE, 0),
            "unknown": statuses.get("unknown", 0),
            "lastSeenAt": last_seen.get(event_type),
            "spark": sparks.get(event_type, [0] * BUCKETS),
        })
    rows.sort(key=lambda r: (r["eventType"] is None, r["eventType"] or ""))
    per_second = lately / max(at - rate_from, RATE_MIN_SPAN)
    return {"bucketSeconds": BUCKET_SECONDS, "start": iso_utc(first), "startEpoch": first,
            "now": iso_utc(at), "rate": rate, "perSecond": round(per_second, 2),
            "types": rows}


@bp.get("/overview")
def overview() -> Response:
    """Traffic over the last ten minutes in 10 s buckets, and every buffered event type."""
    flt = parse_filter(query_params())
    store = current_app.extensions["viewer"].store
    at = now()
    since = (math.floor(at / BUCKET_SECONDS) - BUCKETS + 1) * BUCKET_SECONDS
    recent, _ = store.query(Filter(since=since), limit=None)
    last_seen = {row["eventType"]: row["lastSeenAt"] for row in store.event_types()}
    body = overview_of(recent, store.type_counts(), last_seen, flt, at,
                       store.complete_since())
    body["sources"] = sorted({m.source for m in recent})
    body["stats"] = store.stats()
    return json_response(orjson.dumps(body))


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_row(m: Message) -> list[str]:
    """One message as CSV cells (see ``CSV_COLUMNS``), formula-safe."""
    v = m.validation
    errors = "; ".join(f"{e.get('pointer') or '/'}: {e.get('message')}" for e in v.errors)
    cells = [str(m.seq), m.received_iso(), m.published_at or "", m.event_type or "",
             m.source, v.status, "true" if v.spec_fault else "false",
             "; ".join(f"{t}:{value}" for t, value in m.identifiers), errors, m.message_id,
             m.raw]
    return [_safe_cell(c) for c in cells]


def export_chunks(messages: list[Message], fmt: str) -> Iterator[bytes]:
    """The messages, whole, as a JSON array, NDJSON lines or CSV with a header."""
    if fmt == "json":
        yield b"["
        for i, m in enumerate(messages):
            yield (b",\n" if i else b"\n") + m.to_json()
        yield b"\n]\n"
    elif fmt == "ndjson":
        for m in messages:
            yield m.to_json() + b"\n"
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for i, m in enumerate(messages):
            writer.writerow(csv_row(m))
            if i % 200 == 199:
                yield out.getvalue().encode("utf-8", "replace")
                out.seek(0)
                out.truncate()
        yield out.getvalue().encode("utf-8", "replace")


@bp.get("/export")
def export() -> Response:
    """What the filter shows, newest first, as ``format`` = json | ndjson | csv."""
    params = query_params()
    fmt = params.get("format", "json")
    if fmt not in FORMATS:
        return error(400, f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    flt = parse_filter(params)
    limit = parse_int("limit", params.get("limit"), None, 1)
    messages, _ = current_app.extensions["viewer"].store.query(flt, limit)
    mimetype, ext = FORMATS[fmt]
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return Response(export_chunks(messages, fmt), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="domain-events-{stamp}.{ext}"',
        "X-Total-Count": str(len(messages)),
    })


def init_app(app: Flask) -> None:
    """Register the overview and export endpoints."""
    app.register_blueprint(bp)
