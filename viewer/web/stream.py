"""The websocket stream: each client has its own filter and a bounded outbox.

The store tells the hub of every change (under the store's lock); the hub only appends
ready-made frames to the outboxes of matching clients and never waits, so a slow browser
cannot hold up the consumer or other clients. A client whose outbox fills is told it fell
behind (``stream/behind``) and resubscribes from the last seq it saw.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import orjson
from flask import Blueprint, Flask, current_app
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from viewer.filters import DEFAULT_LIMIT, Filter, FilterError, parse_filter, parse_int
from viewer.message import Message
from viewer.store.memory import MemoryStore

log = logging.getLogger(__name__)
bp = Blueprint("stream", __name__)
sock = Sock()

_CLOSE = object()
# How long a reader waits for a frame before it looks again at whether its connection has
# ended. simple_websocket wakes a waiting ``receive()`` when the peer closes, but not always
# when we close first (a peer that never answers the close, or its reader thread stopping
# between two reads), and a reader asleep for good would keep the hub, and through it the
# whole buffer, alive.
READER_WAKE = 1.0


def frame(kind: str, payload: Any) -> bytes:
    """A ``{"type": kind, "payload": payload}`` frame."""
    return orjson.dumps({"type": kind, "payload": payload})


def frame_raw(kind: str, payload: bytes) -> bytes:
    """A frame around an already serialised payload."""
    return b'{"type":"' + kind.encode() + b'","payload":' + payload + b"}"


class Client:
    """One websocket connection: its filter, outbox and the last seq it was sent."""

    def __init__(self, outbox_size: int) -> None:
        # Two places beyond the limit: one for the stream/behind frame, one for closing.
        self.outbox: queue.Queue[Any] = queue.Queue(maxsize=outbox_size + 2)
        self.limit = outbox_size
        self.filter: Filter | None = None
        self.last_seq = 0
        # Everything up to this seq is queued (or was not wanted): where a resync resumes.
        self.queued_seq = 0
        self.behind = False
        self.dropped = 0
        self._lock = threading.Lock()

    def offer(self, data: bytes, seq: int | None = None) -> None:
        """Queue a frame without waiting; on overflow, tell the client it fell behind.

        Frames already queued are still sent, so ``stream/behind`` carries the seq of the
        last one: a client that resubscribes after it misses nothing and repeats nothing.
        """
        with self._lock:
            if self.behind:
                self.dropped += 1
                return
            if self.outbox.qsize() < self.limit:
                self.outbox.put_nowait(data)
                if seq is not None:
                    self.queued_seq = seq
                return
            self.behind = True
            self.dropped += 1
            try:
                self.outbox.put_nowait(frame("stream/behind", {"lastSeq": self.queued_seq}))
            except queue.Full:  # only if close was queued too: the client is going anyway
                pass

    def skip(self, seq: int) -> None:
        """A message this client's filter does not want: it is caught up past it too."""
        with self._lock:
            if not self.behind:
                self.queued_seq = seq


def _drain(q: queue.Queue[Any]) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return


class Hub:
    """Fans store changes out to subscribed clients."""

    def __init__(self, store: MemoryStore, display_limit: int, outbox_size: int) -> None:
        self.store = store
        self.display_limit = display_limit
        self.outbox_size = outbox_size
        self.clients: set[Client] = set()
        self._clients_lock = threading.Lock()
        store.add_listener(self.on_change)

    def connect(self) -> Client:
        """A new client with no filter yet (it receives nothing until it subscribes)."""
        client = Client(self.outbox_size)
        with self._clients_lock:
            self.clients.add(client)
        return client

    def disconnect(self, client: Client) -> None:
        """Forget a client."""
        with self._clients_lock:
            self.clients.discard(client)

    def subscribe(self, client: Client, payload: Any) -> None:
        """Apply a subscribe frame: reset the client's view, then stream new matches."""
        if not isinstance(payload, dict):
            raise FilterError("subscribe: payload must be an object")
        raw_filter = payload.get("filter")
        raw_filter = {} if raw_filter is None else raw_filter
        if not isinstance(raw_filter, dict):
            raise FilterError("subscribe: filter must be an object")
        flt = parse_filter(raw_filter)
        limit = parse_int("limit", raw_filter.get("limit", payload.get("limit")),
                          DEFAULT_LIMIT, 1)
        after = parse_int("after", payload.get("after"), None, 0, 2**62)
        with self.store.lock:  # no message can arrive between the snapshot and the stream
            found, total = self.store.query(flt, None if after is not None else limit,
                                            after=after)
            items = b",".join(m.to_json(self.display_limit) for m in found)
            body = b'{"messages":[' + items + b'],"total":' + str(total).encode() + b"}"
            with client._lock:
                _drain(client.outbox)
                client.filter = flt
                client.behind = False
                client.last_seq = max(self.store.last_seq, after or 0)
                client.queued_seq = client.last_seq
                client.outbox.put_nowait(frame_raw("messages/reset", body))

    def on_change(self, kind: str, payload: Any) -> None:
        """Store listener (runs under the store's lock): queue frames for matching clients."""
        with self._clients_lock:
            clients = list(self.clients)
        if kind == "add":
            self._on_add(payload, clients)
        elif kind == "revalidated":
            self._on_revalidated(payload, clients)

    def _on_add(self, m: Message, clients: list[Client]) -> None:
        data = None
        for client in clients:
            if client.filter is None or m.seq <= client.last_seq:
                continue
            client.last_seq = m.seq
            if client.filter.matches(m):
                if data is None:  # serialise once, however many clients want it
                    data = frame_raw("messages/add", m.to_json(self.display_limit))
                client.offer(data, m.seq)
            else:
                client.skip(m.seq)

    def _on_revalidated(self, changed: list[Message], clients: list[Client]) -> None:
        for client in clients:
            if client.filter is None:
                continue
            shown = [m for m in changed if m.seq <= client.last_seq]
            matching = [m for m in shown if client.filter.matches(m)]
            removed = [m.seq for m in shown if not client.filter.matches(m)]
            if not matching and not removed:
                continue
            items = b",".join(m.to_json(self.display_limit) for m in matching)
            client.offer(frame_raw("messages/revalidated", b'{"messages":[' + items
                                   + b'],"removed":' + orjson.dumps(removed) + b"}"))

    def close_all(self) -> None:
        """Ask every connection to close (shutdown)."""
        with self._clients_lock:
            clients = list(self.clients)
        for client in clients:
            client.behind = True
            _drain(client.outbox)
            client.outbox.put_nowait(_CLOSE)


def _reader(ws: Any, hub: Hub, client: Client, done: threading.Event) -> None:
    """Reads the client's frames; a bad frame gets an error frame, never a dead thread."""
    try:
        while not done.is_set():
            text = ws.receive(timeout=READER_WAKE)
            if text is None:
                continue
            try:
                message = orjson.loads(text)
                if not isinstance(message, dict):
                    raise FilterError("a frame must be a JSON object with a type")
                if message.get("type") == "subscribe":
                    hub.subscribe(client, message.get("payload"))
                elif message.get("type") == "ping":
                    client.offer(frame("pong", message.get("payload")))
                else:
                    raise FilterError(f"unknown frame type {message.get('type')!r}")
            except (orjson.JSONDecodeError, FilterError) as exc:
                client.offer(frame("error", {"message": str(exc)}))
            except Exception as exc:  # one bad frame must not end the connection
                log.warning("websocket frame refused: %s", type(exc).__name__)
                client.offer(frame("error", {"message": f"frame not understood: "
                                                        f"{type(exc).__name__}"}))
    except ConnectionClosed:
        pass
    except Exception:
        log.exception("websocket reader failed")
    finally:
        done.set()
        try:
            client.outbox.put_nowait(_CLOSE)
        except queue.Full:
            _drain(client.outbox)
            client.outbox.put_nowait(_CLOSE)


@sock.route("/ws", bp=bp)
def websocket(ws: Any) -> None:
    """``WS /ws``: subscribe with a filter, get ``messages/reset`` then ``messages/add``."""
    hub: Hub = current_app.extensions["viewer.hub"]
    client = hub.connect()
    done = threading.Event()
    reader = threading.Thread(target=_reader, args=(ws, hub, client, done), daemon=True,
                              name="ws-reader")
    reader.start()
    try:
        while True:
            data = client.outbox.get()
            if data is _CLOSE:
                break
            ws.send(data.decode("utf-8"))
    except ConnectionClosed:
        pass
    finally:
        done.set()
        hub.disconnect(client)
        try:
            ws.close()
        except Exception:  # noqa: S110 - already closed by the peer
            pass
        reader.join(2 * READER_WAKE)  # the connection ends with both its threads


def init_app(app: Flask) -> None:
    """Register ``/ws`` and the hub."""
    viewer = app.extensions["viewer"]
    app.extensions["viewer.hub"] = Hub(viewer.store, app.config["DISPLAY_LIMIT"],
                                       app.config["OUTBOX_SIZE"])
    app.register_blueprint(bp)
