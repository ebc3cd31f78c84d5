"""Who gets in: nobody checked (loopback default), HTTP basic, or a trusted proxy's header.

One ``before_request`` hook guards every route, the websocket handshake included, so the
websocket enforces exactly what the pages enforce. Only the health and info endpoints
are open, as platform probes must reach them without credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from collections.abc import Mapping
from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.security import check_password_hash, generate_password_hash

log = logging.getLogger(__name__)

MODES = ("none", "basic", "proxy")
OPEN_PATHS = frozenset({"/health", "/health/ping", "/health/liveness", "/health/readiness",
                        "/info"})
REALM = "events-viewer"
# Checked when the user name is wrong too, so a bad name costs as long as a bad password.
_DUMMY_HASH = generate_password_hash("not the password")


def hash_password(password: str) -> str:
    """A Werkzeug hash for ``VIEWER_AUTH_BASIC_HASH``."""
    return generate_password_hash(password)


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Denied(Exception):
    """A request without acceptable credentials: 401 (who are you?) or 403 (not you)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Authenticator:
    """Checks one request against the configured mode; ``check`` returns the user or raises."""

    def __init__(self, mode: str = "none", basic_user: str = "", basic_hash: str = "",
                 user_header: str = "X-Forwarded-User",
                 groups_header: str = "X-Forwarded-Groups",
                 allow: list[str] | tuple[str, ...] = ()) -> None:
        mode = (mode or "none").strip().lower()
        if mode not in MODES:
            raise ValueError(f"VIEWER_AUTH: expected one of {', '.join(MODES)}, got {mode!r}")
        if mode == "basic" and not (basic_user and basic_hash):
            raise ValueError("VIEWER_AUTH=basic needs VIEWER_AUTH_BASIC_USER and "
                             "VIEWER_AUTH_BASIC_HASH (see `events-viewer hash-password`)")
        if mode == "proxy" and not user_header:
            raise ValueError("VIEWER_AUTH=proxy needs VIEWER_AUTH_PROXY_USER_HEADER")
        self.mode = mode
        self.basic_user = basic_user
        self.basic_hash = basic_hash
        self.user_header = user_header
        self.groups_header = groups_header
        self.allow = frozenset(a for a in allow if a)
        self._verified: set[bytes] = set()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Authenticator:
        """From the app's settings."""
        return cls(config.get("AUTH", "none"), config.get("AUTH_BASIC_USER", ""),
                   config.get("AUTH_BASIC_HASH", ""),
                   config.get("AUTH_PROXY_USER_HEADER", "X-Forwarded-User"),
                   config.get("AUTH_PROXY_GROUPS_HEADER", "X-Forwarded-Groups"),
                   config.get("AUTH_ALLOW") or ())

    def check(self, headers: Mapping[str, str], authorization: Any) -> str | None:
        """The user a request is from (None when auth is off); Denied when it may not enter."""
        if self.mode == "none":
            return None
        if self.mode == "basic":
            return self._basic(authorization)
        return self._proxy(headers)

    def _basic(self, authorization: Any) -> str:
        if authorization is None or authorization.type != "basic":
            raise Denied(401, "authentication required")
        user = authorization.username or ""
        password = authorization.password or ""
        # A password hash is slow on purpose; remember the last few good pairs (as digests)
        # so a page's many requests do not each pay for it.
        key = hashlib.sha256(f"{user}\0{password}".encode("utf-8", "surrogatepass")).digest()
        if key in self._verified:
            return user
        # Both checks always run, so timing says nothing about which one failed.
        user_ok = hmac.compare_digest(user.encode("utf-8", "surrogatepass"),
                                      self.basic_user.encode("utf-8", "surrogatepass"))
        password_ok = check_password_hash(self.basic_hash if user_ok else _DUMMY_HASH,
                                          password)
        if not (user_ok and password_ok):
            raise Denied(401, "wrong user name or password")
        if len(self._verified) >= 32:
            self._verified.clear()
        self._verified.add(key)
        return user

    def _proxy(self, headers: Mapping[str, str]) -> str:
        user = (headers.get(self.user_header) or "").strip()
        if not user:
            raise Denied(401, f"no {self.user_header} header: sign in through the proxy")
        if not self.allow:
            return user
        groups = {g.strip() for g in (headers.get(self.groups_header) or "").split(",")}
        if user in self.allow or groups & self.allow:
            return user
        raise Denied(403, f"user {user!r} is not allowed in")


def _denied(exc: Denied, mode: str) -> Response:
    response = Response(orjson.dumps({"error": str(exc)}), status=exc.status,
                        mimetype="application/json")
    if exc.status == 401 and mode == "basic":
        response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def init_app(app: Flask) -> None:
    """Guard every route but the open ones; warn when nobody is checked off loopback."""
    auth = Authenticator.from_config(app.config)
    app.extensions["viewer.auth"] = auth
    host = str(app.config.get("HOST", "127.0.0.1"))
    if auth.mode == "none" and not is_loopback(host):
        log.warning("authentication is off (VIEWER_AUTH=none) and the server binds %s, "
                    "not loopback: anyone who can reach it sees every message", host)

    @app.before_request
    def require_auth() -> Response | None:
        """Reject a request without acceptable credentials before any view (or upgrade)."""
        if auth.mode == "none" or request.path in OPEN_PATHS:
            return None
        try:
            user = auth.check(request.headers, request.authorization)
        except Denied as exc:
            log.info("refused %s %s: %s", request.method, request.path, exc)
            return _denied(exc, auth.mode)
        request.environ["viewer.user"] = user
        return None
