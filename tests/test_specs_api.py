"""GET /api/specs, the spec draft endpoint, the catalogue page, and the demo's own specs."""

from __future__ import annotations

import json
from collections import Counter

import orjson

from tests.conftest import event
from tests.test_specs_registry import spec_yaml, write
from viewer.core import Viewer
from viewer.demo.events import DemoTraffic
from viewer.filters import Filter
from viewer.settings import resolve
from viewer.specs.registry import SpecRegistry
from viewer.specs.service import DEMO_SPECS


def loaded_app(app_factory, specs_dir):
    """An app with specs loaded and no consumers (messages go in with ingest_text)."""
    app = app_factory({"QUEUES": ["unused"], "SPEC_DIRS": [str(specs_dir)]}, start=False)
    viewer = app.extensions["viewer"]
    viewer.specs.start()
    return app, viewer


def test_api_specs_lists_types_findings_counts_and_unregistered(app_factory, tmp_path):
    write(tmp_path, "spec/schemas/a.yaml", spec_yaml("a.happened", {"x": {"type": "string"}}))
    write(tmp_path, "spec/auto/a.yaml", spec_yaml("a.happened", {"x": {"type": "integer"}}))
    write(tmp_path, "spec/schemas/liar.yaml", spec_yaml("liar.happened", {
        "flag": {"type": "string", "const": True}}))
    write(tmp_path, "spec/schemas/broken.yaml", "name: [x\n")
    app, viewer = loaded_app(app_factory, tmp_path)
    viewer.ingest_text(json.dumps(event("a.happened")), "m1")
    viewer.ingest_text(json.dumps(event("a.happened")), "m2")
    viewer.ingest_text(json.dumps(event("<b>new</b>.type")), "m3")
    data = app.test_client().get("/api/specs").get_json()
    assert data["files"] == 4 and data["specCount"] == 3 and data["loaded"] is True
    rows = {r["eventType"]: r for r in data["specs"]}
    assert list(rows) == ["a.happened", "liar.happened"]
    a = rows["a.happened"]
    assert a["count"] == 2 and a["lastSeenAt"].endswith("Z")
    assert a["origin"] == "curated" and a["path"] == str(tmp_path / "spec/schemas/a.yaml")
    assert a["summary"] == "a.happened happened"
    assert a["alternatives"] == [{"path": str(tmp_path / "spec/auto/a.yaml"), "origin": "auto"}]
    assert a["example"]["eventType"] == "a.happened"
    assert [f["code"] for f in a["findings"]] == ["duplicate-disagrees"]
    liar = rows["liar.happened"]
    assert liar["count"] == 0 and liar["lastSeenAt"] is None
    assert {f["code"] for f in liar["findings"]} == {"const-type-conflict",
                                                     "example-fails-payload"}
    assert liar["faultPointers"] == ["/additionalInformation/flag"]
    assert [r["eventType"] for r in data["unregistered"]] == ["<b>new</b>.type"]
    assert data["fileFindings"][0]["code"] == "yaml-error"
    assert data["findingCounts"] == {"const-type-conflict": 1, "duplicate-disagrees": 2,
                                     "example-fails-payload": 1, "yaml-error": 1}


def test_spec_draft_endpoint(app_factory, tmp_path):
    write(tmp_path, "spec/schemas/a.yaml", spec_yaml("a.happened"))
    app, viewer = loaded_app(app_factory, tmp_path)
    one = viewer.ingest_text(json.dumps(event("new.type", additionalInformation={"id": 1})), "1")
    viewer.ingest_text(json.dumps(event("new.type", additionalInformation={"x": "y"})), "2")
    client = app.test_client()
    response = client.get(f"/api/messages/{one.seq}/spec-draft")
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    text = response.get_data(as_text=True)
    drafted = (tmp_path / "drafted")
    write(drafted, "spec/schemas/new.yaml", text)
    reg = SpecRegistry([str(drafted)])
    reg.reload()
    spec = reg.lookup("new.type")
    assert spec.findings == []
    info = spec.payload["properties"]["additionalInformation"]
    assert set(info["properties"]) == {"id", "x"} and "required" not in info
    only = client.get(f"/api/messages/{one.seq}/spec-draft?only=1").get_data(as_text=True)
    assert "required:\n      - id" in only
    assert client.get("/api/messages/999/spec-draft").status_code == 404
    bad = viewer.ingest_text("not json", "3")
    assert client.get(f"/api/messages/{bad.seq}/spec-draft").status_code == 422


def test_catalogue_page_is_served_with_csp(app_factory, tmp_path):
    app, _ = loaded_app(app_factory, tmp_path)
    response = app.test_client().get("/catalogue")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/static/catalogue.js" in html and "/static/catalogue.css" in html
    assert "<script>" not in html and "style=" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    script = app.test_client().get("/static/catalogue.js")
    assert script.status_code == 200 and "innerHTML" not in script.get_data(as_text=True)
    script.close()


def test_demo_specs_show_every_status_and_a_spec_fault():
    lint = SpecRegistry([str(DEMO_SPECS)])
    lint.reload()
    findings = [(s.name, f.code, f.pointer) for s in lint.index.specs for f in s.findings]
    assert findings == [("person.alert.created", "example-fails-envelope", "/version")]
    assert lint.lookup("tier.calculation.complete") is None
    # In embedded mode with no spec dir, the viewer loads the demo's own specs.
    viewer = Viewer(resolve({"QUEUES": [], "SPEC_WATCH": False}, environ={}))
    assert viewer.embedded_mode
    viewer.specs.start()
    assert viewer.registry.index.roots == [str(DEMO_SPECS)]
    traffic = DemoTraffic(seed=7)
    seen: Counter[tuple[str | None, str, bool]] = Counter()
    for i in range(600):
        _, text = traffic.next()
        m = viewer.ingest_text(text, f"demo-{i}")
        seen[(m.event_type, m.status, m.validation.spec_fault)] += 1
    statuses = {status for _, status, _ in seen}
    assert statuses == {"valid", "invalid", "unknown", "unparseable"}
    assert seen[("person.alert.created", "invalid", True)] > 0
    assert seen[("person.alert.created", "valid", False)] == 0
    assert seen[("tier.calculation.complete", "unknown", False)] > 0
    faults = [t for (t, _, fault) in seen if fault]
    assert set(faults) == {"person.alert.created"}
    message = viewer.store.query(Filter(event_types=("person.alert.created",)), 1)[0][0]
    as_json = orjson.loads(message.to_json())
    assert as_json["validation"]["spec"]["name"] == "person.alert.created"
