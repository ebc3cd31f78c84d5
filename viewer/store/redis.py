"""The rolling buffer shared through Redis, so history survives restarts and replicas agree.

Each replica keeps its own ``MemoryStore`` as the queryable view. ``RedisJournal.put`` runs
one Lua script that dedupes the message id (``SET NX EX ttl``), takes the next ``seq`` and
``XADD``s the message to a capped stream, atomically: stream order is seq order. A tail
thread (``XREAD BLOCK``) inserts every stream entry, whichever replica wrote it, into the
local store with its seq, so every replica shows every message in the same order. Only
bounded commands are used (no ``KEYS``, no unbounded ranges).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import redis

from viewer.message import Message, Validation, _dumps, share, share_strings
from viewer.sources.sqs import Backoff
from viewer.store.memory import MemoryStore

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "events-viewer"
BLOCK_MS = 1000

# KEYS: the message id's dedupe key, the seq counter, the stream.
# ARGV: ttl seconds, stream max length, message fields, raw text.
# A counter lost with Redis's data restarts from the clock (microseconds), so a seq never
# goes backwards for replicas that still hold the old ones.
PUT_SCRIPT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[2], t[1] .. string.format('%06d', tonumber(t[2])))
end
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 's', seq, 'm', ARGV[3], 'r', ARGV[4])
local now = redis.call('TIME')
local cutoff = tonumber(now[1]) * 1000 - tonumber(ARGV[1]) * 1000
redis.call('XTRIM', KEYS[3], 'MINID', '~', string.format('%d', cutoff))
redis.call('EXPIRE', KEYS[3], ARGV[1])
return seq
"""


def redact(url: str) -> str:
    """The URL without its password, for health and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def encode(m: Message) -> tuple[bytes, bytes]:
    """(fields, raw) of a message: compact JSON, and the raw text byte for byte."""
    v = m.validation
    fields = {"i": m.message_id, "s": m.source, "t": m.event_type, "a": m.attributes,
              "at": m.received_at, "p": m.published_at, "e": m.envelope_dict(),
              "ids": m.identifiers, "pe": m.parse_error,
              "v": [v.status, v.errors, v.spec, v.warnings]}
    # surrogatepass: raw text may hold a lone surrogate, and must come back as it went in.
    return _dumps(fields), m.raw.encode("utf-8", "surrogatepass")


def decode(seq: int, fields: bytes, raw: bytes) -> Message:
    """The message ``encode`` wrote, with its seq."""
    d = orjson.loads(fields)
    status, errors, spec, warnings = d["v"]
    return Message(
        message_id=d["i"], source=d["s"], raw=raw.decode("utf-8", "surrogatepass"),
        event_type=share(d["t"]) if d["t"] else None, attributes=share_strings(d["a"]),
        received_at=d["at"], published_at=d["p"],
        envelope=share_strings(d["e"]) if d["e"] else d["e"],
        identifiers=tuple((share(k), v) for k, v in d["ids"]),
        validation=Validation(status, tuple(errors), spec, tuple(warnings)), seq=seq,
        parse_error=d["pe"])


class RedisJournal:
    """Writes messages to a Redis stream and tails it into the local ``MemoryStore``."""

    def __init__(self, url: str, store: MemoryStore, *, ttl: int = 24 * 3600,
                 prefix: str = DEFAULT_PREFIX, backoff: Backoff | None = None,
                 socket_timeout: float = 5.0) -> None:
        if ttl < 1:
            raise ValueError("store TTL must be at least 1 second")
        self.url = redact(url)
        self.store = store
        self.ttl = ttl
        self.max_len = store.max_size
        # A hash tag keeps every key in one slot, so the script also runs on a cluster.
        tag = "{" + prefix + "}"
        self.stream_key, self.seq_key, self.id_prefix = tag + ":stream", tag + ":seq", tag + ":id:"
        self.client = redis.Redis.from_url(url, socket_timeout=socket_timeout,
                                           socket_connect_timeout=min(3.0, socket_timeout))
        self._put = self.client.register_script(PUT_SCRIPT)
        self.backoff = backoff or Backoff(base=0.2, cap=10.0)
        self.last_id = b"0-0"
        self.loaded = False
        self.connected = False
        self.reason: str | None = "not started"
        self.written = 0
        self.duplicates = 0
        self.errors = 0
        self.tailed = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- writing -------------------------------------------------------------------------

    def put(self, m: Message) -> Message | None:
        """Journal ``m``; it reaches the local store through the tail. None if a redelivery.

        Raises when Redis cannot be reached: the caller leaves the message on its queue.
        """
        fields, raw = encode(m)
        try:
            seq = int(self._put(keys=[self.id_prefix + m.message_id, self.seq_key,
                                      self.stream_key],
                                args=[self.ttl, self.max_len, fields, raw]))
        except redis.RedisError as exc:
            self._down(exc)
            raise
        if seq == 0:
            self.duplicates += 1
            return None
        self.written += 1
        m.seq = seq
        return m

    def put_many(self, messages: Sequence[Message]) -> list[Message | None]:
        """``put`` each in order; the results of those journalled before Redis failed.

        Raises only when Redis failed on the first: a shorter answer leaves the rest on
        their queue.
        """
        out: list[Message | None] = []
        for m in messages:
            try:
                out.append(self.put(m))
            except redis.RedisError:
                if not out:
                    raise
                break
        return out

    # -- tailing -------------------------------------------------------------------------

    def start(self) -> None:
        """Load the newest history now if Redis answers, then tail the stream in a thread."""
        try:
            self._load()
        except redis.RedisError as exc:
            self._down(exc)
            log.warning("redis store %s unreachable at start (%s); will retry", self.url, exc)
        self._thread = threading.Thread(target=self._run, name="redis-tail", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop tailing (within one blocking read) and close the connections."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.client.close()

    @property
    def alive(self) -> bool:
        """Whether the tail thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.loaded:
                    self._load()
                self._tail_once()
                self.backoff.reset()
            except redis.RedisError as exc:
                self._down(exc)
                delay = self.backoff.next_delay()
                log.warning("redis store %s: %s; retrying in %.1fs", self.url, exc, delay)
                self._stop.wait(delay)
            except Exception as exc:  # a bad entry must not stop the tail: skip past it
                self.errors += 1
                log.exception("redis store: could not read an entry after %s", self.last_id)
                self.reason = f"bad entry: {exc!r}"
                self._stop.wait(self.backoff.next_delay())

    def _load(self) -> None:
        """Insert the newest ``buffer size`` entries younger than the TTL into the store."""
        newest = self.client.xrevrange(self.stream_key, count=1)
        if newest:
            seconds, micros = self.client.time()
            cutoff = int(seconds) * 1000 + int(micros) // 1000 - self.ttl * 1000
            entries = self.client.xrevrange(self.stream_key, max=newest[0][0],
                                            min=str(max(cutoff, 0)), count=self.max_len)
            for entry_id, fields in reversed(entries):
                self._insert(entry_id, fields)
            self.last_id = newest[0][0]
            log.info("redis store %s: loaded %d messages", self.url, len(entries))
        self.loaded = True
        self._up()

    def _tail_once(self) -> None:
        """One blocking read of whatever follows the last entry seen."""
        answer = self.client.xread({self.stream_key: self.last_id}, count=500, block=BLOCK_MS)
        self._up()
        for _key, entries in answer or []:
            for entry_id, fields in entries:
                self.last_id = entry_id  # first: a bad entry is skipped, not read forever
                self._insert(entry_id, fields)

    def _insert(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        m = decode(int(fields[b"s"]), fields[b"m"], fields[b"r"])
        if self.store.insert(m) is not None:
            self.tailed += 1

    # -- health --------------------------------------------------------------------------

    def _up(self) -> None:
        if not self.connected:
            log.info("redis store %s: connected", self.url)
        self.connected, self.reason = True, None

    def _down(self, exc: Exception) -> None:
        self.errors += 1
        self.connected, self.reason = False, f"{type(exc).__name__}: {exc}"

    def ping(self) -> bool:
        """Whether Redis answers now (updates the state health reports)."""
        try:
            self.client.ping()
        except redis.RedisError as exc:
            self._down(exc)
            return False
        if self.loaded:
            self._up()
        return True

    def health(self) -> dict[str, Any]:
        """The store component of ``/health``: DOWN while Redis does not answer."""
        reachable = self.ping()
        details: dict[str, Any] = {"url": self.url, **self.store.stats(), "ttlSeconds": self.ttl,
                                   "written": self.written, "duplicatesRefused": self.duplicates,
                                   "errors": self.errors, "tailing": self.alive,
                                   "historyLoaded": self.loaded}
        if reachable:
            try:
                details["streamLength"] = int(self.client.xlen(self.stream_key))
            except redis.RedisError as exc:
                reachable = False
                self._down(exc)
        if self.reason:
            details["reason"] = self.reason
        up = reachable and self.loaded and self.alive
        return {"status": "UP" if up else "DOWN", "details": details}
