"""Security headers on every response, the websocket's Origin check, and auth (auth.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request


def _ws_origin() -> str:
    scheme = "wss" if request.scheme in ("https", "wss") else "ws"
    return f"{scheme}://{request.host}"


def add_headers(response: Response) -> Response:
    """CSP without inline script, nosniff, no referrer, no framing."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {_ws_origin()}; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def origin_allowed(origin: str | None) -> bool:
    """The page's own origin, or one configured with ``--allowed-origin``."""
    if not origin:
        return False
    # Werkzeug reports a websocket handshake's scheme as ws/wss; the page's origin is http(s).
    scheme = {"ws": "http", "wss": "https"}.get(request.scheme, request.scheme)
    own = {f"{scheme}://{request.host}".lower()}
    port = request.environ.get("SERVER_PORT")
    if port and not request.host.rsplit("]", 1)[-1].count(":"):
        # Some clients send Host without the port; the origin always names it.
        own.add(f"{scheme}://{request.host}:{port}".lower())
    allowed = own | {o.rstrip("/").lower() for o in current_app.config["ALLOWED_ORIGINS"]}
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}".lower() in allowed


def check_ws_origin() -> None:
    """Refuse a websocket handshake from a foreign or missing Origin (403, before upgrade)."""
    if request.path == "/ws" and not origin_allowed(request.headers.get("Origin")):
        abort(403, description="websocket Origin not allowed")


def init_app(app: Flask) -> None:
    """Register authentication (first), the Origin check and the headers."""
    from viewer.web import auth

    auth.init_app(app)
    app.after_request(add_headers)
    app.before_request(check_ws_origin)
