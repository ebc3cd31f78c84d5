"""A stalled browser (issue 5, point 13): bounded outbox, told it fell behind, resyncs.

The stalled client is a raw socket speaking the websocket protocol (wsproto) with a tiny
receive buffer that it stops reading, so the server's sends really block, as they would
for a browser on a frozen tab or a dead network.
"""

from __future__ import annotations

import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import orjson
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage

from tests.conftest import event, wait_until


class RawWs:
    """A websocket client that only reads when told to."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((parts.hostname, parts.port))
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.frames: list[dict[str, Any]] = []
        self._text = ""
        self.sock.sendall(self.ws.send(Request(host=parts.netloc, target="/ws",
                                               extra_headers=[(b"origin", url.encode())])))
        accepted = False
        while not accepted:
            self.ws.receive_data(self.sock.recv(65536))
            accepted = any(isinstance(e, AcceptConnection) for e in self._events())

    def _events(self) -> list[Any]:
        out = []
        for e in self.ws.events():
            if isinstance(e, TextMessage):
                self._text += e.data
                if e.message_finished:
                    self.frames.append(orjson.loads(self._text))
                    self._text = ""
            out.append(e)
        return out

    def subscribe(self, after: int | None = None) -> None:
        text = orjson.dumps({"type": "subscribe", "payload": {"filter": {}, "after": after}})
        self.sock.sendall(self.ws.send(TextMessage(data=text.decode())))

    def read_until(self, kind: str, timeout: float = 30) -> dict[str, Any]:
        """Read frames until one of ``kind`` arrives; every frame read is kept in ``frames``."""
        self.sock.settimeout(timeout)
        start = len(self.frames)
        while True:
            for frame in self.frames[start:]:
                if frame["type"] == kind:
                    return frame
            start = len(self.frames)
            data = self.sock.recv(1 << 20)
            if not data:
                raise AssertionError(f"connection closed before a {kind} frame")
            self.ws.receive_data(data)
            self._events()

    def close(self) -> None:
        self.sock.close()


def test_a_stalled_client_falls_behind_and_resyncs_without_holding_anyone_up(
        live, app_factory, topic):
    """Bounded outbox; ``stream/behind`` with the last seq it has; other clients and the
    consumer carry on; a resubscribe from that seq misses nothing and repeats nothing."""
    server = live(app=app_factory({"QUEUES": [topic.queue_url], "OUTBOX_SIZE": 8}))
    viewer = server.app.extensions["viewer"]
    hub = server.app.extensions["viewer.hub"]
    stalled = RawWs(server.url)
    stalled.subscribe()
    healthy = server.ws()
    healthy.subscribe({})
    healthy.receive_type("messages/reset")
    wait_until(lambda: len(hub.clients) == 2 and all(c.filter for c in hub.clients),
               message="both subscribed")

    count = 200
    padding = "p" * 60_000
    got: list[int] = []
    reader = threading.Thread(target=lambda: got.extend(
        healthy.receive_type("messages/add")["payload"]["seq"] for _ in range(count)),
        daemon=True)
    reader.start()
    for i in range(count):
        viewer.ingest_text(orjson.dumps(event("big.one", description=padding, version=i))
                           .decode(), f"big-{i}")
        assert all(c.outbox.qsize() <= 8 + 2 for c in hub.clients)  # bounded, always
        # The healthy client keeps up (it reads as fast as messages come, a few in hand).
        wait_until(lambda i=i: len(got) >= i - 3, message="the healthy client to keep up")
    behind = wait_until(lambda: [c for c in hub.clients if c.behind],
                        message="the stalled client marked behind")
    assert len(behind) == 1 and behind[0].dropped > 0

    # The healthy client got every message, in order, while the other one stalled.
    reader.join(30)
    assert got == list(range(1, count + 1))
    # ...and the consumer keeps storing: a message through SQS arrives for the healthy client.
    topic.publish(event("via.the.queue"))
    assert healthy.receive_type("messages/add")["payload"]["eventType"] == "via.the.queue"
    healthy.close()

    # The stalled client wakes up: what it had queued, then the news it fell behind.
    told = stalled.read_until("stream/behind")
    seen = [m["seq"] for f in stalled.frames if f["type"] == "messages/add"
            for m in [f["payload"]]]
    last = told["payload"]["lastSeq"]
    assert seen == list(range(1, last + 1)), "frames before stream/behind must run to lastSeq"
    stalled.subscribe(after=last)
    reset = stalled.read_until("messages/reset")
    seen += sorted(m["seq"] for m in reset["payload"]["messages"])
    assert seen == list(range(1, viewer.store.last_seq + 1))  # each exactly once
    stalled.close()


def test_closing_on_a_peer_that_never_answers_still_ends_the_connection_threads(
        live, app_factory):
    """Shutdown closes every socket; a peer that neither answers the close nor hangs up must
    not leave the connection's reader asleep for good, holding the hub and the buffer."""
    server = live(app=app_factory())
    hub = server.app.extensions["viewer.hub"]
    before = set(threading.enumerate())
    silent = RawWs(server.url)  # it never reads again, so it never answers our close
    silent.subscribe()
    wait_until(lambda: len(hub.clients) == 1 and all(c.filter for c in hub.clients),
               message="the silent client subscribed")
    readers = [t for t in set(threading.enumerate()) - before if t.name == "ws-reader"]
    assert len(readers) == 1
    server.stop()  # the server closes first, as at shutdown
    wait_until(lambda: not readers[0].is_alive(), timeout=10,
               message="the reader of a closed connection to end")
    assert not hub.clients
    silent.close()
