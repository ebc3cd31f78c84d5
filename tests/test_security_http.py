"""Who gets in and what the browser is told (issue 5, points 10, 11, 14 and 15)."""

from __future__ import annotations

import base64
import logging
import re
import subprocess
import sys

import orjson
import pytest
from simple_websocket import Client as WsClient
from simple_websocket import ConnectionError as WsConnectionError
from werkzeug.security import check_password_hash

from tests.conftest import event, wait_until
from viewer.app import create_app
from viewer.web.auth import OPEN_PATHS, hash_password

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test fixture
BASIC = {"AUTH": "basic", "AUTH_BASIC_USER": "dev", "AUTH_BASIC_HASH": hash_password(PASSWORD)}
PROXY = {"AUTH": "proxy", "AUTH_ALLOW": ["alice", "team-probation"]}


def basic_header(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": "Basic " + token}


def example_url(rule) -> str:
    """A concrete URL for a route, whatever its converters."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        values[name] = 1 if converter in ("IntegerConverter", "NumberConverter") else "x"
    return rule.build(values, append_unknown=False)[1]


def walk(app):
    """(method, url, rule) for every route and method of the app."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, example_url(rule), rule.rule


@pytest.mark.parametrize("mode,good,bad", [
    ("basic", basic_header("dev", PASSWORD), basic_header("dev", "wrong")),
    ("proxy", {"X-Forwarded-User": "bob", "X-Forwarded-Groups": "x, team-probation"},
     {"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "other"}),
])
def test_every_route_but_health_and_info_needs_auth(mode, good, bad):
    """Walks app.url_map: unauthenticated requests are refused everywhere, /ws included."""
    app = create_app({**(BASIC if mode == "basic" else PROXY), "SPEC_WATCH": False})
    client = app.test_client()
    routes = list(walk(app))
    assert ("GET", "/ws", "/ws") in routes and ("GET", "/", "/") in routes
    checked = 0
    for method, url, rule in routes:
        plain = client.open(url, method=method)
        wrong = client.open(url, method=method, headers=bad)
        right = client.open(url, method=method, headers={**good, "Origin": "http://localhost"})
        if url in OPEN_PATHS:
            assert plain.status_code not in (401, 403), (method, url)
            continue
        checked += 1
        assert plain.status_code == 401, (method, rule, plain.status_code)
        assert wrong.status_code in (401, 403), (method, rule, wrong.status_code)
        assert right.status_code not in (401, 403), (method, rule, right.status_code)
        assert b"A thing happened" not in plain.get_data() + wrong.get_data()
        if mode == "basic":
            assert plain.headers["WWW-Authenticate"].startswith("Basic ")
    assert checked >= 5
    for path in ("/health", "/health/ping", "/info"):
        assert client.get(path).status_code in (200, 503)


def test_websocket_enforces_what_the_pages_enforce(app_factory, live):
    """The handshake is refused without credentials (before the upgrade) and works with them."""
    server = live(app=app_factory(BASIC, start=False))
    viewer = server.app.extensions["viewer"]
    viewer.ingest_text(orjson.dumps(event("secret.thing")).decode(), "m-1")
    url = server.url.replace("http", "ws") + "/ws"
    for headers in ({"Origin": server.url}, {"Origin": server.url,
                                             **basic_header("dev", "nope")}):
        with pytest.raises(WsConnectionError) as refused:
            WsClient.connect(url, headers=headers)
        assert refused.value.status_code == 401
    ws = WsClient.connect(url, headers={"Origin": server.url,
                                        **basic_header("dev", PASSWORD)})
    ws.send(orjson.dumps({"type": "subscribe", "payload": {"filter": {}, "after": None}})
            .decode())
    assert orjson.loads(ws.receive(timeout=10))["payload"]["total"] == 1
    ws.close()


def test_proxy_allow_list_by_user_or_group():
    """With an allow-list, a listed user or a member of a listed group gets in; others 403."""
    client = create_app({**PROXY, "SPEC_WATCH": False}).test_client()
    assert client.get("/api/stats").status_code == 401
    assert client.get("/api/stats", headers={"X-Forwarded-User": "alice"}).status_code == 200
    assert client.get("/api/stats", headers={"X-Forwarded-User": "bob",
                                              "X-Forwarded-Groups": "team-probation"}
                      ).status_code == 200
    denied = client.get("/api/stats", headers={"X-Forwarded-User": "bob",
                                               "X-Forwarded-Groups": "team-probationary"})
    assert denied.status_code == 403 and b"bob" in denied.get_data()
    anyone = create_app({"AUTH": "proxy", "SPEC_WATCH": False}).test_client()
    assert anyone.get("/api/stats", headers={"X-Forwarded-User": "bob"}).status_code == 200


def test_bad_auth_settings_stop_the_app_with_a_clear_error():
    """An unknown mode or basic auth without a hash is refused at start."""
    with pytest.raises(ValueError, match="VIEWER_AUTH"):
        create_app({"AUTH": "ldap"})
    with pytest.raises(ValueError, match="VIEWER_AUTH_BASIC_HASH"):
        create_app({"AUTH": "basic", "AUTH_BASIC_HASH": ""})


@pytest.mark.parametrize("host,warned", [("0.0.0.0", True), ("10.1.2.3", True), ("::", True),
                                         ("127.0.0.1", False), ("localhost", False),
                                         ("::1", False)])
def test_warning_when_nobody_is_checked_off_loopback(caplog, host, warned):
    """AUTH=none on a non-loopback interface is allowed, but logged as a warning."""
    with caplog.at_level(logging.WARNING, logger="viewer.web.auth"):
        create_app({"HOST": host, "AUTH": "none"})
    said = [r for r in caplog.records if "authentication is off" in r.getMessage()]
    assert bool(said) is warned
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="viewer.web.auth"):
        create_app({"HOST": host, **BASIC})
    assert not [r for r in caplog.records if "authentication is off" in r.getMessage()]


def test_hash_password_command():
    """``events-viewer hash-password`` prints a hash that basic auth accepts."""
    done = subprocess.run([sys.executable, "-m", "viewer", "hash-password", "--password-stdin"],
                          input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    hashed = done.stdout.strip()
    assert PASSWORD not in hashed and check_password_hash(hashed, PASSWORD)
    client = create_app({"AUTH": "basic", "AUTH_BASIC_USER": "dev", "AUTH_BASIC_HASH": hashed,
                         "SPEC_WATCH": False}).test_client()
    assert client.get("/api/stats", headers=basic_header("dev", PASSWORD)).status_code == 200


def test_websocket_origin_must_be_the_page_or_configured(app_factory, live):
    """Foreign or missing Origin: 403 before the upgrade. ALLOWED_ORIGINS adds origins."""
    server = live(app=app_factory({"ALLOWED_ORIGINS": ["https://viewer.example"]},
                                  start=False))
    for origin in ("http://evil.example", None, "null", server.url + ".evil.example",
                   "https://viewer.example.evil"):
        with pytest.raises(WsConnectionError) as refused:
            server.ws(origin=origin)
        assert refused.value.status_code == 403, origin
    for origin in ("https://viewer.example", server.url):
        ws = server.ws(origin=origin)
        ws.subscribe({})
        assert ws.receive_type("messages/reset")["type"] == "messages/reset"
        ws.close()


def test_html_responses_carry_csp_nosniff_and_referrer_policy():
    """CSP: default-src 'self', no inline script, no plugins, no framing, ws allowed."""
    client = create_app({"SPEC_WATCH": False}).test_client()
    page = client.get("/", base_url="http://viewer.local:8080")
    assert page.status_code == 200 and page.mimetype == "text/html"
    csp = {d.split()[0]: d.split()[1:] for d in
           page.headers["Content-Security-Policy"].split(";") if d.strip()}
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("script-src", csp["default-src"])
    assert "'unsafe-eval'" not in csp.get("script-src", csp["default-src"])
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "ws://viewer.local:8080" in csp["connect-src"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] in ("no-referrer", "same-origin",
                                               "strict-origin-when-cross-origin")
    html = page.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script in the page"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler in the page"
    https = client.get("/", base_url="https://viewer.example")
    assert "wss://viewer.example" in https.headers["Content-Security-Policy"]


def test_logs_carry_ids_and_types_never_bodies(app_factory, topic, caplog):
    """At INFO (and below) the message ID and event type are logged, the body never is."""
    marker = "SECRET-MARKER-7f3c"
    app = app_factory({"QUEUES": [topic.queue_url]}, start=False)
    viewer = app.extensions["viewer"]
    with caplog.at_level(logging.DEBUG):
        viewer.start()
        good = topic.publish(event("logged.event", description=marker,
                                   additionalInformation={"password": marker}))
        bad = topic.publish("{not json " + marker, event_type="logged.broken")
        wait_until(lambda: len(viewer.store) == 2, message="both stored")
        app.test_client().get("/api/messages?q=" + "SECRET")
        viewer.stop(timeout=10)
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records
                     if r.levelno >= logging.INFO and r.name.startswith("viewer"))
    assert marker not in text
    assert good in text and bad in text
    assert "logged.event" in text and "logged.broken" in text
