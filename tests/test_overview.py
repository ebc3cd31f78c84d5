"""GET /api/overview and GET /api/export (viewer/web/overview.py), in-process."""

from __future__ import annotations

import csv
import io
import json

import orjson
import pytest

from tests.browser import envelope_event, feed
from viewer.filters import Filter
from viewer.message import now
from viewer.sns import build_message
from viewer.specs.registry import SpecRegistry
from viewer.store.memory import MemoryStore
from viewer.validation import Judge
from viewer.web.overview import BUCKETS, RATE_MIN_SPAN, overview_of


def client(app_factory, **config):
    app = app_factory(config, start=False)
    return app, app.extensions["viewer"], app.test_client()


def test_overview_counts_rate_and_types(app_factory):
    _, viewer, c = client(app_factory)
    for _ in range(3):
        feed(viewer, envelope_event("a.one"))
    bad = envelope_event("a.two")
    del bad["version"]
    feed(viewer, bad, source="other")
    feed(viewer, "{nope", event_type="a.two")
    body = c.get("/api/overview?eventType=a.one").get_json()
    assert body["bucketSeconds"] == 10 and len(body["rate"]) == BUCKETS
    assert sum(b["count"] for b in body["rate"]) == 5
    assert sum(b["invalid"] for b in body["rate"]) == 2  # invalid and unparseable
    assert sum(b["matching"] for b in body["rate"]) == 3  # the filter's share
    types = {t["eventType"]: t for t in body["types"]}
    assert types["a.one"]["count"] == 3 and types["a.one"]["invalid"] == 0
    assert types["a.two"]["invalid"] == 1 and types["a.two"]["unparseable"] == 1
    assert sum(types["a.two"]["spark"]) == 2 and len(types["a.two"]["spark"]) == BUCKETS
    assert body["sources"] == ["domain-events", "other"]
    assert body["stats"]["size"] == 5


def per_second(viewer, at: float) -> float:
    store = viewer.store
    recent, _ = store.query(Filter(), limit=None)
    return overview_of(recent, store.type_counts(), {}, Filter(), at,
                       store.complete_since())["perSecond"]


def test_the_rate_counts_the_last_30_seconds_when_all_of_them_are_in_the_buffer(app_factory):
    _, viewer, _ = client(app_factory)
    at = now()
    viewer.store.created_at = at - 600  # running for ten minutes
    for ago in range(0, 120):  # two a second for a minute: 60 of them in the last 30 s
        feed(viewer, envelope_event("a.one"), received_at=at - 59.75 + ago / 2)
    assert per_second(viewer, at) == 2.0


def test_the_rate_after_a_start_counts_only_the_time_since(app_factory):
    # Twelve seconds after a start, at two a second: 2.0, not the 0.8 that the last 30 s
    # (18 of them from before the start) would give.
    _, viewer, _ = client(app_factory)
    at = now()
    viewer.store.created_at = at - 12
    for i in range(24):
        feed(viewer, envelope_event("a.one"), received_at=at - 12 + (i + 1) / 2)
    assert per_second(viewer, at) == 2.0
    # The first message after a start is not a burst: never fewer than 5 s counted.
    _, fresh, _ = client(app_factory)
    fresh.store.created_at = at - 0.5
    feed(fresh, envelope_event("a.one"), received_at=at - 0.1)
    assert per_second(fresh, at) == 1 / RATE_MIN_SPAN


def test_the_rate_of_a_buffer_that_evicts_counts_from_its_oldest_message(app_factory):
    # A 40-message buffer at ten a second holds 4 s: the rate is over those 4 s (and at
    # least RATE_MIN_SPAN), not over 30 s of which it holds a seventh.
    _, viewer, _ = client(app_factory, BUFFER_SIZE=40)
    at = now()
    viewer.store.created_at = at - 600
    for i in range(100):
        feed(viewer, envelope_event("a.one"), received_at=at - 10 + i / 10)
    assert viewer.store.evicted == 60
    assert viewer.store.complete_since() == pytest.approx(at - 4)
    assert per_second(viewer, at) == 40 / RATE_MIN_SPAN


def test_a_store_given_older_messages_counts_from_the_oldest():
    # A replica given a shared store's history holds every message since the oldest.
    store = MemoryStore(10)
    assert store.complete_since() == store.created_at
    store.put(build_message('{"eventType": "x"}', "m-1", "shared", {}, Judge(SpecRegistry()),
                            received_at=store.created_at - 100))
    assert store.complete_since() == store.created_at - 100


def test_the_overview_serves_the_rate_since_the_viewer_started(app_factory):
    before = now()
    _, viewer, c = client(app_factory)
    for _ in range(3):
        feed(viewer, envelope_event("a.one"))
    body = c.get("/api/overview").get_json()
    after = now()
    # Three messages in the few seconds since the start (the old header read 0.1 msg/s).
    # (perSecond is rounded to two places.)
    assert 3 / max(after - before, RATE_MIN_SPAN) - 0.005 <= body["perSecond"] \
        <= 3 / RATE_MIN_SPAN + 0.005


def test_overview_rejects_a_bad_filter(app_factory):
    _, _, c = client(app_factory)
    response = c.get("/api/overview?status=nope")
    assert response.status_code == 400
    assert "status" in response.get_json()["error"]


def test_export_formats_follow_the_filter(app_factory):
    _, viewer, c = client(app_factory)
    first = feed(viewer, envelope_event("x.kept"))
    feed(viewer, envelope_event("x.dropped"))
    second = feed(viewer, envelope_event("x.kept", description="=cmd|' /C calc'!A0"))
    as_json = c.get("/api/export?format=json&eventType=x.kept")
    assert as_json.headers["Content-Disposition"].startswith("attachment; filename=")
    assert [m["seq"] for m in json.loads(as_json.get_data())] == [second.seq, first.seq]
    lines = c.get("/api/export?format=ndjson&excludeEventType=x.kept").get_data().splitlines()
    assert [orjson.loads(line)["eventType"] for line in lines] == ["x.dropped"]
    text = c.get("/api/export?format=csv&eventType=x.kept&limit=1").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1 and rows[0]["seq"] == str(second.seq)
    assert rows[0]["raw"] == second.raw  # starts with "{": left alone


def test_export_csv_defuses_spreadsheet_formulas(app_factory):
    _, viewer, c = client(app_factory)
    feed(viewer, "=1+2", event_type="@sum")
    row = next(csv.DictReader(io.StringIO(c.get("/api/export?format=csv").get_data(
        as_text=True))))
    assert row["raw"] == "'=1+2" and row["eventType"] == "'@sum"


def test_export_rejects_unknown_format_and_bad_filter(app_factory):
    _, _, c = client(app_factory)
    assert c.get("/api/export?format=xml").status_code == 400
    assert "format" in c.get("/api/export?format=xml").get_json()["error"]
    assert c.get("/api/export?since=soon").status_code == 400
