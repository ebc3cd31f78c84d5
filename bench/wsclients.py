"""Many websocket clients in one thread (selectors, a minimal frame reader) and their latency.

Every client subscribes with an empty filter and notes, for each ``messages/add`` frame, the
time it arrived minus the ``sentAt`` the publisher wrote into the event. One thread serves
them all, so 50 clients cost the measuring side little and never share a GIL with threads.
"""

from __future__ import annotations

import base64
import os
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

SUBSCRIBE = orjson.dumps({"type": "subscribe", "payload": {"filter": {}, "after": None}})


def sent_at(frame: bytes) -> float | None:
    """The ``sentAt`` the publisher put in the event, read straight from the frame's bytes."""
    i = frame.find(b'"sentAt":')
    if i < 0:
        return None
    i += 9
    j = i
    while j < len(frame) and frame[j] in b"0123456789.eE+-":
        j += 1
    try:
        return float(frame[i:j])
    except ValueError:
        return None


@dataclass
class ClientStats:
    """What one client saw."""

    added: int = 0
    resets: int = 0
    behind: int = 0
    latencies: list[float] = field(default_factory=list)
    reset_at: float | None = None


class _Conn:
    """One client: a hand-rolled RFC 6455 reader (server frames are unmasked), for speed."""

    def __init__(self, url: str, index: int) -> None:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.stats = ClientStats()
        self.index = index
        self.open = False
        self.closed = False
        self._buffer = b""
        self._parts: list[bytes] = []
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n"
                           "\r\n").encode())
        self.sock.setblocking(False)

    def on_readable(self) -> None:
        try:
            data = self.sock.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        now = time.time()
        buf = self._buffer + data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self._buffer = buf
                return
            if b" 101 " not in buf[:end].split(b"\r\n", 1)[0]:
                self.closed = True
                return
            self.open = True
            buf = buf[end + 4:]
            self._send_frame(0x1, SUBSCRIBE)
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = struct.unpack_from("!H", buf, pos + 2)[0], 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = struct.unpack_from("!Q", buf, pos + 2)[0], 10
            if size - pos < head + length:
                break
            payload = buf[pos + head:pos + head + length]
            pos += head + length
            opcode = b0 & 0x0F
            if opcode in (0x1, 0x0):
                self._parts.append(payload)
                if b0 & 0x80:
                    self._frame(b"".join(self._parts), now)
                    self._parts = []
            elif opcode == 0x9:
                self._send_frame(0xA, payload)
            elif opcode == 0x8:
                self.closed = True
        self._buffer = buf[pos:]

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.setblocking(True)
        try:
            self.sock.sendall(head + mask + masked)
        finally:
            self.sock.setblocking(False)

    def _frame(self, data: bytes, now: float) -> None:
        head = data[:40]
        if b'"messages/add"' in head:
            self.stats.added += 1
            sent = sent_at(data)
            if sent is not None:
                self.stats.latencies.append(now - sent)
        elif b'"messages/reset"' in head:
            self.stats.resets += 1
            self.stats.reset_at = now
        elif b'"stream/behind"' in head:
            self.stats.behind += 1

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Clients:
    """``n`` subscribed clients served by one background thread until ``stop()``."""

    def __init__(self, url: str, n: int) -> None:
        self.conns = [_Conn(url, i) for i in range(n)]
        self._selector = selectors.DefaultSelector()
        for conn in self.conns:
            self._selector.register(conn.sock, selectors.EVENT_READ, conn)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="ws-clients")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(0.2):
                conn: _Conn = key.data
                conn.on_readable()
                if conn.closed:
                    self._selector.unregister(conn.sock)

    def wait_subscribed(self, timeout: float = 30.0) -> None:
        """Until every client has its ``messages/reset`` frame."""
        deadline = time.monotonic() + timeout
        while not all(c.stats.resets for c in self.conns):
            if time.monotonic() > deadline:
                raise RuntimeError("websocket clients did not all subscribe")
            self._stop.wait(0.05)

    def wait_added(self, count: int, timeout: float) -> bool:
        """Until every client has seen ``count`` added messages; False on timeout."""
        deadline = time.monotonic() + timeout
        while min(c.stats.added for c in self.conns) < count:
            if time.monotonic() > deadline:
                return False
            self._stop.wait(0.05)
        return True

    def stop(self) -> list[ClientStats]:
        """Stop reading, close the sockets and return what each client saw."""
        self._stop.set()
        self._thread.join(5)
        for conn in self.conns:
            conn.close()
        return [c.stats for c in self.conns]


def summary(stats: list[ClientStats]) -> dict[str, Any]:
    """All clients' latencies pooled, with counts."""
    latencies = [x for s in stats for x in s.latencies]
    return {"latencies": latencies, "added": [s.added for s in stats],
            "behind": sum(s.behind for s in stats)}
