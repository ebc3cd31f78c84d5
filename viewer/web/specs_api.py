"""The spec registry over HTTP: the catalogue API, reload, spec drafts, and the catalogue page."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Blueprint, Flask, Response, current_app, render_template, request

from viewer import __version__
from viewer.filters import Filter
from viewer.message import iso_utc
from viewer.specs import draft
from viewer.specs.loader import SpecSourceError
from viewer.specs.registry import Spec

bp = Blueprint("specs", __name__)
DRAFT_SAMPLE = 200  # buffered messages of the type a draft learns from


def _json(value: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status=status, mimetype="application/json")


def spec_row(spec: Spec, event_type: str, seen: dict[str, Any] | None,
             claims: list[Spec]) -> dict[str, Any]:
    """One registered event type for ``GET /api/specs``."""
    return {
        "eventType": event_type, "name": spec.name, "path": spec.path, "origin": spec.origin,
        "title": spec.text("title"), "summary": spec.text("summary"),
        "description": spec.text("description"), "example": spec.example,
        "findings": [f.as_dict() for f in spec.findings],
        "faultPointers": sorted(spec.fault_pointers),
        "alternatives": [{"path": s.path, "origin": s.origin} for s in claims
                         if s is not spec],
        "count": seen["count"] if seen else 0,
        "lastSeenAt": seen["lastSeenAt"] if seen else None,
    }


@bp.get("/api/specs")
def specs() -> Response:
    """Every registered event type with its file, summary, findings, count and last seen."""
    viewer = current_app.extensions["viewer"]
    index = viewer.registry.index
    seen = {row["eventType"]: row for row in viewer.store.event_types()}
    rows = [spec_row(spec, t, seen.get(t), index.claims.get(t, []))
            for t, spec in sorted(index.by_type.items())]
    counts: dict[str, int] = {}
    for finding in [f for s in index.specs for f in s.findings] + index.findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    return _json({
        "specs": rows,
        "unregistered": [row for t, row in seen.items()
                         if t is not None and t not in index.by_type],
        "fileFindings": [f.as_dict() for f in index.findings],
        "findingCounts": dict(sorted(counts.items())),
        "files": index.files, "specCount": len(index.specs), "roots": index.roots,
        "loaded": viewer.registry.loaded,
        "loadedAt": iso_utc(index.loaded_at) if index.loaded_at else None,
        "error": index.error,
    })


@bp.post("/api/specs/reload")
def reload() -> Response:
    """Re-read every spec source now; buffered messages of changed types are re-judged."""
    try:
        result = current_app.extensions["viewer"].specs.reload()
    except SpecSourceError as exc:
        return _json({"error": str(exc)}, 502)
    return _json({"reloaded": True, **result, "loadedAt": iso_utc(result["loadedAt"])})


@bp.get("/api/messages/<int:seq>/spec-draft")
def spec_draft(seq: int) -> Response:
    """An AsyncAPI message YAML drafted from this message (and others of its type unless
    ``?only=1``)."""
    store = current_app.extensions["viewer"].store
    message = store.get(seq)
    if message is None:
        return _json({"error": f"no message with seq {seq} in the buffer"}, 404)
    samples = [message.raw]
    if request.args.get("only") not in ("1", "true") and message.event_type:
        others, _ = store.query(Filter(event_types=(message.event_type,)), DRAFT_SAMPLE)
        samples += [m.raw for m in others if m.seq != seq]
    try:
        text = draft.draft_yaml(samples, event_type=message.event_type)
    except draft.DraftError as exc:
        return _json({"error": str(exc)}, 422)
    name = (message.event_type or "event").replace("/", "_")
    return Response(text, mimetype="application/yaml", headers={
        "Content-Disposition": f'inline; filename="{name}.yaml"'})


@bp.get("/catalogue")
def catalogue() -> str:
    """The spec catalogue page (all content is fetched from /api/specs by catalogue.js)."""
    return render_template("catalogue.html", version=__version__)


def init_app(app: Flask) -> None:
    """Register the spec routes."""
    app.register_blueprint(bp)
