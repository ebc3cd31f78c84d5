"""GET /api/overview and GET /api/export (viewer/web/overview.py), in-process."""

from __future__ import annotations

import csv
import io
import json

import orjson

from tests.browser import envelope_event, feed
from viewer.web.overview import BUCKETS


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
