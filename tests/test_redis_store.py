"""The Redis journal against a real redis-server: seq, dedupe, history, TTL, replicas, outages."""

from __future__ import annotations

import uuid

import pytest
import redis

from tests.conftest import event, wait_until
from viewer.message import Message, Validation
from viewer.store import open_store
from viewer.store.memory import MemoryStore
from viewer.store.redis import RedisJournal, decode, encode, redact

pytestmark = pytest.mark.redis


def message(i: int | str, raw: str = '{"eventType":"x"}', event_type: str | None = "x"
            ) -> Message:
    return Message(message_id=f"m-{i}", source="q", raw=raw, event_type=event_type,
                   attributes={"eventType": "x"}, received_at=1_700_000_000.5 + float(
                       hash(i) % 7), identifiers=(("NOMS", "A1234BC"),),
                   validation=Validation("invalid", ({"schema": "envelope", "pointer": "/version",
                                                      "message": "missing"},), None, ("dup",)))


@pytest.fixture
def journals(redis_url):
    """Make journals (each with its own local store) on one prefix; stopped at the end."""
    made: list[RedisJournal] = []

    def make(size: int = 100, ttl: int = 3600, url: str = redis_url) -> RedisJournal:
        journal = open_store(url, MemoryStore(size), ttl=ttl)
        made.append(journal)
        journal.start()
        return journal

    yield make
    for j in made:
        j.stop()


def seqs(store: MemoryStore) -> list[int]:
    return [m.seq for m in reversed(store.query(_all(), None)[0])]


def _all():
    from viewer.filters import Filter

    return Filter()


def test_a_message_survives_the_round_trip_byte_for_byte():
    m = message(1, raw='{"a": "\ud800 lone", "b": 1}  ')
    m.envelope = {"TopicArn": "arn:aws:sns:eu-west-2:1:t"}
    m.published_at = "2024-01-01T00:00:00.000Z"
    back = decode(7, *encode(m))
    assert back.raw == m.raw and back.seq == 7
    for name in ("message_id", "source", "event_type", "attributes", "received_at",
                 "published_at", "envelope", "identifiers", "parse_error"):
        assert getattr(back, name) == getattr(m, name), name
    assert back.validation.as_dict() == m.validation.as_dict()


def test_put_gives_increasing_seqs_dedupes_and_tails_into_the_local_store(journals):
    j = journals()
    first = j.put(message(1))
    second = j.put(message(2))
    assert first is not None and second is not None and second.seq == first.seq + 1
    assert j.put(message(1)) is None  # a redelivery is stored once
    wait_until(lambda: len(j.store) == 2, message="the tail to insert both")
    assert seqs(j.store) == [first.seq, second.seq]
    assert j.store.get(first.seq).validation.errors[0]["pointer"] == "/version"


def test_replicas_see_every_message_in_the_same_order(journals):
    a, b = journals(), journals()
    for i in range(30):
        assert (a if i % 3 else b).put(message(i)) is not None
    wait_until(lambda: len(a.store) == 30 and len(b.store) == 30, message="both views full")
    assert seqs(a.store) == seqs(b.store)
    assert seqs(a.store) == sorted(seqs(a.store))
    # Both replicas received the same message: one of them is told it is a duplicate.
    assert a.put(message("same")) is not None
    assert b.put(message("same")) is None


def test_a_restart_loads_the_newest_buffer_of_history(journals):
    writer = journals(size=3)
    stored = [writer.put(message(i)).seq for i in range(5)]
    writer.stop()
    restarted = journals(size=3)
    assert seqs(restarted.store) == stored[-3:]  # loaded during start(), before any tail
    assert restarted.put(message(99)).seq > stored[-1]


def test_keys_expire_after_the_ttl_and_old_entries_are_not_loaded(journals, redis_url):
    j = journals(ttl=1)
    j.put(message(1))
    client = redis.Redis.from_url(redis_url.split("?")[0])
    assert 0 < client.ttl(j.id_prefix + "m-1") <= 1
    assert 0 < client.ttl(j.stream_key) <= 1
    wait_until(lambda: client.exists(j.stream_key) == 0, timeout=5, message="the stream to expire")
    assert len(journals(ttl=1).store) == 0
    # The redelivery window has passed too: the same id is new again.
    assert j.put(message(1)) is not None
    client.close()


def test_the_stream_is_capped_near_the_buffer_size(journals, redis_url):
    j = journals(size=10)
    for i in range(400):
        j.put(message(i))
    client = redis.Redis.from_url(redis_url.split("?")[0])
    # MAXLEN ~ trims whole nodes: a little over the cap, never the whole history.
    assert 10 <= client.xlen(j.stream_key) < 250
    client.close()


def test_only_bounded_commands_are_used(journals, redis_server):
    client = redis.Redis.from_url(redis_server.url)
    client.config_resetstat()
    j = journals(size=5)
    for i in range(20):
        j.put(message(i))
    wait_until(lambda: len(j.store) == 5, message="the tail")
    j.health()
    used = set(client.info("commandstats"))
    client.close()
    assert not used & {"cmdstat_keys", "cmdstat_scan", "cmdstat_smembers", "cmdstat_hgetall",
                       "cmdstat_flushdb", "cmdstat_flushall"}, used
    assert "cmdstat_xread" in used and "cmdstat_evalsha" in used


def test_an_unreachable_redis_refuses_puts_reports_down_and_recovers(own_redis):
    j = open_store(own_redis.url + "?prefix=outage", MemoryStore(100), ttl=60)
    j.backoff.cap = 0.5
    j.start()
    try:
        before = j.put(message(1)).seq
        assert j.health()["status"] == "UP"
        own_redis.stop()
        with pytest.raises(redis.RedisError):
            j.put(message(2))
        report = j.health()
        assert report["status"] == "DOWN" and "reason" in report["details"]
        own_redis.start()  # same port, empty: the seq counter starts again from the clock
        wait_until(lambda: j.health()["status"] == "UP", message="the journal to reconnect")
        after = j.put(message(2))
        assert after is not None and after.seq > before
        wait_until(lambda: j.store.get(after.seq) is not None, message="the tail to resume")
    finally:
        j.stop()


def test_open_store_says_what_it_accepts():
    store = MemoryStore(10)
    assert open_store("memory", store) is None
    with pytest.raises(ValueError, match="memory, redis://"):
        open_store("postgres://db", store)
    j = open_store("rediss://:s3cret@cache.example:6380/2?prefix=team-a", store)
    assert j.url == "rediss://:***@cache.example:6380/2"
    assert j.stream_key == "{team-a}:stream"
    assert j.client.connection_pool.connection_kwargs["password"] == "s3cret"  # noqa: S105
    j.client.close()
    assert redact("redis://h:1/0") == "redis://h:1/0"


def test_the_viewer_journals_what_it_accepts(app_factory, redis_url, topic):
    app = app_factory({"QUEUES": [topic.queue_url], "STORE": redis_url})
    viewer = app.extensions["viewer"]
    topic.publish(event("redis.viewer"))
    found = wait_until(lambda: viewer.store.query(_all(), 10)[0], message="the message")
    assert found[0].event_type == "redis.viewer"
    assert viewer.journal.written == 1
    assert app.test_client().get("/health").get_json()["components"]["store"]["status"] == "UP"
    assert viewer.ingest_text('{"x": 1}', "id-" + uuid.uuid4().hex) is not None
