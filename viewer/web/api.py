"""The REST API: messages, event types and the page's configuration."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from viewer import __version__
from viewer.filters import DEFAULT_LIMIT, Filter, FilterError, parse_filter, parse_int
from viewer.message import Message

bp = Blueprint("api", __name__, url_prefix="/api")


def json_response(body: bytes, status: int = 200) -> Response:
    """Pre-serialised JSON bytes as a response."""
    return Response(body, status=status, mimetype="application/json")


def error(status: int, message: str) -> Response:
    """``{"error": message}`` with a status code."""
    return json_response(orjson.dumps({"error": message}), status)


def query_params() -> dict[str, Any]:
    """The query string as name -> string or list of strings."""
    return {k: (v if len(v) > 1 else v[0]) for k, v in request.args.lists()}


def messages_json(messages: Iterable[Message], total: int, display_limit: int | None,
                  extra: bytes = b"") -> bytes:
    """``{"messages": [...], "total": N}`` from messages serialised once each."""
    items = b",".join(m.to_json(display_limit) for m in messages)
    return b'{"messages":[' + items + b'],"total":' + str(total).encode() + extra + b"}"


def run_query(params: dict[str, Any]) -> tuple[list[Message], int, Filter]:
    """Filter, limit and page as the contract says; FilterError on a bad parameter."""
    flt = parse_filter(params)
    limit = parse_int("limit", params.get("limit"), DEFAULT_LIMIT, 1)
    before = parse_int("before", params.get("before"), None, 0, 2**62)
    after = parse_int("after", params.get("after"), None, 0, 2**62)
    store = current_app.extensions["viewer"].store
    messages, total = store.query(flt, limit, before=before, after=after)
    return messages, total, flt


@bp.errorhandler(FilterError)
def bad_filter(exc: FilterError) -> Response:
    """A clear 400 naming the parameter."""
    return error(400, str(exc))


@bp.get("/messages")
def messages() -> Response:
    """Matches newest first: ``{"messages": [...], "total": N}``."""
    found, total, _ = run_query(query_params())
    return json_response(messages_json(found, total, current_app.config["DISPLAY_LIMIT"]))


@bp.get("/messages/<int:seq>")
def message(seq: int) -> Response:
    """One message, whole (never truncated)."""
    m = current_app.extensions["viewer"].store.get(seq)
    if m is None:
        return error(404, f"no message with seq {seq} in the buffer")
    return json_response(m.to_json())


@bp.get("/event-types")
def event_types() -> Response:
    """``[{"eventType", "count", "lastSeenAt"}]`` for every buffered event type."""
    return json_response(orjson.dumps(current_app.extensions["viewer"].store.event_types()))


def page_config() -> dict[str, Any]:
    """What the page needs to know of the server's settings (``/api/config``, and the page)."""
    viewer = current_app.extensions["viewer"]
    return {
        "version": __version__,
        "hideEventTypes": current_app.config["HIDE_EVENT_TYPES"],
        "displayLimit": current_app.config["DISPLAY_LIMIT"],
        "bufferSize": current_app.config["BUFFER_SIZE"],
        "sources": [q.label for q in viewer.queues],
        "embedded": viewer.embedded_mode,
    }


@bp.get("/config")
def config() -> Response:
    """What the page needs to know of the server's settings."""
    return json_response(orjson.dumps(page_config()))


@bp.get("/stats")
def stats() -> Response:
    """Buffer size, seq range and status counts."""
    return json_response(orjson.dumps(current_app.extensions["viewer"].store.stats()))


def _http_error(exc: HTTPException) -> Response | HTTPException:
    """Under /api, routing errors (no such path, ``/api/messages/abc``) answer JSON too."""
    if request.path == "/api" or request.path.startswith("/api/"):
        response = error(exc.code or 500, f"{exc.name}: {request.method} {request.path}")
        if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response
    return exc


def init_app(app: Flask) -> None:
    """Register the API."""
    app.register_blueprint(bp)
    app.register_error_handler(NotFound, _http_error)
    app.register_error_handler(MethodNotAllowed, _http_error)
