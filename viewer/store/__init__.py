"""Where messages are kept: in memory, or in Redis shared by replicas."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from viewer.store.memory import MemoryStore


def open_store(url: str, store: MemoryStore, *, ttl: int = 24 * 3600) -> Any:
    """The journal for ``--store``: None for ``memory``, a RedisJournal for ``redis(s)://``.

    ``?prefix=NAME`` in a Redis URL keeps this viewer's keys apart from another's on the
    same Redis. Anything else is a ValueError that says what is accepted.
    """
    text = (url or "memory").strip()
    if text == "memory":
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"--store must be memory, redis://... or rediss://..., got {text!r}")
    from viewer.store.redis import DEFAULT_PREFIX, RedisJournal

    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((v for k, v in query if k == "prefix"), DEFAULT_PREFIX) or DEFAULT_PREFIX
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return RedisJournal(urlunsplit(parts._replace(query=rest)), store, ttl=ttl, prefix=prefix)
