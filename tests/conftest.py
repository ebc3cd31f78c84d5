"""Shared fixtures: a real local SQS/SNS server, queues, the app, a live server, a ws client."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from simple_websocket import Client as WsClient
from werkzeug.serving import make_server

from viewer.app import create_app
from viewer.core import Viewer
from viewer.settings import resolve
from viewer.sources.embedded import create_topic_and_queue, local_client, publish
from viewer.sources.localsqs import LocalSqs


def wait_until(condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02,
               message: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def local_sqs() -> Iterator[LocalSqs]:
    """A real moto SQS/SNS server on a free loopback port, over HTTP."""
    server = LocalSqs()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sqs(local_sqs: LocalSqs) -> Any:
    """An SQS client for the local server."""
    return local_client("sqs", local_sqs.url)


@pytest.fixture
def sns(local_sqs: LocalSqs) -> Any:
    """An SNS client for the local server."""
    return local_client("sns", local_sqs.url)


class Topic:
    """A fresh topic with a subscribed queue; ``publish`` sends an event through SNS."""

    def __init__(self, sns: Any, sqs: Any, raw: bool = False) -> None:
        name = "t-" + uuid.uuid4().hex[:10]
        self.sns, self.sqs = sns, sqs
        self.arn, self.queue_url = create_topic_and_queue(sns, sqs, topic=name, queue=name,
                                                          raw=raw)
        self.queue_name = name

    def publish(self, body: Any, event_type: str | None = "__from_body__") -> str:
        text = body if isinstance(body, str) else orjson.dumps(body).decode()
        if event_type == "__from_body__":
            event_type = body.get("eventType") if isinstance(body, dict) else None
        return publish(self.sns, self.arn, event_type, text)


@pytest.fixture
def topic(sns: Any, sqs: Any) -> Topic:
    """A topic and queue with SNS envelope delivery, as in production."""
    return Topic(sns, sqs)


@pytest.fixture
def make_topic(sns: Any, sqs: Any) -> Callable[..., Topic]:
    """Make more topics (``raw=True`` for raw delivery)."""
    return lambda raw=False: Topic(sns, sqs, raw=raw)


def event(event_type: str = "test.thing.happened", **extra: Any) -> dict[str, Any]:
    """A valid domain event."""
    body: dict[str, Any] = {
        "eventType": event_type, "version": 1, "occurredAt": "2024-10-14T15:09:54+01:00",
        "description": "A thing happened", "additionalInformation": {"id": 1},
        "personReference": {"identifiers": [{"type": "NOMS", "value": "A1234BC"}]},
    }
    body.update(extra)
    return body


@pytest.fixture
def app_factory(local_sqs: LocalSqs) -> Iterator[Callable[..., Any]]:
    """Build (and later stop) apps whose consumers read the local server."""
    viewers: list[Viewer] = []

    def build(config: dict[str, Any] | None = None, start: bool = True) -> Any:
        values = resolve({"SQS_WAIT_SECONDS": 1, "SPEC_WATCH": False, **(config or {})},
                         environ={})
        viewer = Viewer(values, sqs_client=local_client("sqs", local_sqs.url))
        app = create_app(values, viewer=viewer)
        viewers.append(viewer)
        if start:
            viewer.start()
        return app

    yield build
    for viewer in viewers:
        viewer.stop(timeout=10)


class LiveServer:
    """The app served over real HTTP on a free port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.app.extensions["viewer.hub"].close_all()
        self.server.shutdown()

    def ws(self, origin: str | None = "__own__") -> Ws:
        headers = {}
        if origin == "__own__":
            origin = self.url
        if origin:
            headers["Origin"] = origin
        return Ws(WsClient.connect(self.url.replace("http", "ws") + "/ws", headers=headers))


class Ws:
    """A websocket test client that decodes frames."""

    def __init__(self, client: WsClient) -> None:
        self.client = client

    def send(self, kind: str, payload: Any) -> None:
        self.client.send(orjson.dumps({"type": kind, "payload": payload}).decode())

    def subscribe(self, flt: dict[str, Any] | None = None, after: int | None = None) -> None:
        self.send("subscribe", {"filter": flt or {}, "after": after})

    def receive(self, timeout: float = 15.0) -> dict[str, Any]:
        data = self.client.receive(timeout=timeout)
        if data is None:
            raise AssertionError(f"no frame within {timeout}s")
        return orjson.loads(data)

    def receive_type(self, kind: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            frame = self.receive(max(0.1, deadline - time.monotonic()))
            if frame["type"] == kind:
                return frame
            if time.monotonic() > deadline:
                raise AssertionError(f"no {kind} frame within {timeout}s")

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def live(app_factory: Callable[..., Any]) -> Iterator[Callable[..., LiveServer]]:
    """Serve apps over HTTP: ``live(config)`` -> LiveServer."""
    servers: list[LiveServer] = []

    def serve(config: dict[str, Any] | None = None, app: Any = None) -> LiveServer:
        server = LiveServer(app or app_factory(config))
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


class ViewerProcess:
    """``python -m viewer ...`` in a child process; ``url`` once it prints where it listens."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None,
                 timeout: float = 60.0) -> None:
        import os
        import subprocess
        import sys

        full_env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        self.proc = subprocess.Popen([sys.executable, "-m", "viewer", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=full_env)
        self.lines: list[str] = []
        self.url: str | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_until(lambda: self.url or self.proc.poll() is not None, timeout=timeout,
                   message="the viewer to print its URL")
        if self.url is None:
            raise AssertionError("viewer exited early:\n" + self.output)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            if self.url is None and line.startswith("events-viewer ") and " on http" in line:
                self.url = line.split(" on ", 1)[1].split()[0].rstrip("/")

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self, sig: int | None = None, timeout: float = 30.0) -> int:
        import signal as signal_mod
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(sig or signal_mod.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                f"viewer did not exit within {timeout}s:\n{self.output}") from exc
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code


@pytest.fixture
def viewer_process() -> Iterator[Callable[..., ViewerProcess]]:
    """Start viewer child processes; any still running are killed at the end."""
    procs: list[ViewerProcess] = []

    def start(args: list[str], env: dict[str, str] | None = None) -> ViewerProcess:
        proc = ViewerProcess(args, env)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.proc.poll() is None:
            proc.stop(timeout=30)


def aws_env(local_sqs: LocalSqs) -> dict[str, str]:
    """Environment that points boto3's standard chain at the local server."""
    return {"AWS_ENDPOINT_URL": str(local_sqs.url), "AWS_REGION": "eu-west-2",
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class RedisServer:
    """A real ``redis-server`` on a free loopback port, no persistence; can be restarted."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: Any = None

    def start(self) -> RedisServer:
        import subprocess

        import redis

        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_timeout=1)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_until(answers, timeout=15, message="redis-server to answer")
        client.close()
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def _redis_available() -> None:
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the session (skipped only where it is not installed)."""
    _redis_available()
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A store URL on the session's Redis with keys of this test's own."""
    return f"{redis_server.url}?prefix=t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, to stop and restart."""
    _redis_available()
    server = RedisServer().start()
    yield server
    server.stop()
