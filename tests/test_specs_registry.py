"""The spec registry on its own: layout, indexing, draft-07 quirks, lint findings, spec faults."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import event
from viewer.specs.loader import SpecSourceError
from viewer.specs.registry import SpecRegistry
from viewer.validation import Judge


def write(root: Path, rel: str, text: str) -> Path:
    """Write a spec file (YAML text, dedented) under ``root``."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def spec_yaml(name: str, additional: dict[str, Any] | None = None, **payload_extra: Any) -> str:
    """A consistent message spec for ``name`` whose additionalInformation has ``additional``."""
    payload: dict[str, Any] = {
        "type": "object",
        "required": ["eventType", "version", "occurredAt"],
        "properties": {
            "eventType": {"type": "string", "const": name},
            "version": {"type": "integer", "example": 1},
            "occurredAt": {"type": "string", "format": "date-time",
                           "example": "2024-10-14T15:09:54+01:00"},
            "additionalInformation": {"type": "object", "properties": additional or {}},
        },
    }
    payload.update(payload_extra)
    return yaml.safe_dump({"name": name, "title": name, "summary": f"{name} happened",
                           "contentType": "application/json", "payload": payload},
                          sort_keys=False)


def registry(*dirs: Path) -> SpecRegistry:
    """A loaded registry."""
    reg = SpecRegistry([str(d) for d in dirs])
    reg.reload()
    return reg


def codes(reg: SpecRegistry, event_type: str) -> list[str]:
    """The finding codes of the spec used for a type."""
    spec = reg.lookup(event_type)
    assert spec is not None, event_type
    return sorted(f.code for f in spec.findings)


def verdict(reg: SpecRegistry, body: Any, attribute: str | None = None):
    """The judge's verdict on a body with this registry."""
    return Judge(reg).judge(body, None, attribute)


def test_registry_layout_curated_auto_and_overrides(tmp_path):
    write(tmp_path, "spec/schemas/things/made.yaml", spec_yaml("things.thing.made"))
    write(tmp_path, "spec/auto/things/made.yaml", spec_yaml("things.thing.made"))
    write(tmp_path, "spec/auto/things/gone.yml", spec_yaml("things.thing.gone"))
    write(tmp_path, "spec/override/gone.yaml", """
        name: things.thing.gone
        summary: overridden summary
    """)
    write(tmp_path, "notes.txt", "not a spec")
    reg = registry(tmp_path)
    index = reg.index
    assert index.files == 4  # *.yml and *.yaml only; the override is read but is no spec
    assert sorted(index.by_type) == ["things.thing.gone", "things.thing.made"]
    made = reg.lookup("things.thing.made")
    assert made.origin == "curated" and made.path.endswith("spec/schemas/things/made.yaml")
    assert [s.origin for s in index.claims["things.thing.made"]] == ["curated", "auto"]
    gone = reg.lookup("things.thing.gone")
    assert gone.origin == "auto"
    assert gone.text("summary") == "overridden summary"
    assert gone.overrides and gone.overrides[0].endswith("spec/override/gone.yaml")
    assert gone.describe() == {"name": "things.thing.gone", "path": gone.path, "origin": "auto"}


def auto_twin(reg: SpecRegistry) -> Any:
    """The auto spec of a registry that has one curated/auto pair."""
    return next(s for s in reg.index.specs if s.origin == "auto")


def test_curated_beats_auto_and_disagreement_is_reported(tmp_path):
    write(tmp_path, "spec/auto/a.yaml", spec_yaml("x.y.z", {"id": {"type": "string"}}))
    write(tmp_path, "spec/schemas/a.yaml", spec_yaml("x.y.z", {"id": {"type": "integer"}}))
    reg = registry(tmp_path)
    assert reg.lookup("x.y.z").origin == "curated"
    assert codes(reg, "x.y.z") == ["duplicate-disagrees"]
    assert "/additionalInformation/id" in auto_twin(reg).findings[0].message
    body = event("x.y.z", additionalInformation={"id": "12"})
    errors = verdict(reg, body).errors
    assert [(e["schema"], e["pointer"], e["keyword"]) for e in errors] == [
        ("spec", "/additionalInformation/id", "type")]


@pytest.mark.timeout(60)
def test_disagreement_is_found_through_refs_and_a_recursive_schema_ends(tmp_path):
    # The auto spec reaches its types through definitions, and refers back to itself.
    write(tmp_path, "spec/auto/a.yaml", """
        name: x.y.z
        payload:
          type: object
          definitions:
            info:
              type: object
              properties:
                id: {type: string}
                parent: {$ref: "#"}
                child: {$ref: "#"}
          properties:
            eventType: {type: string, const: x.y.z}
            additionalInformation: {$ref: "#/definitions/info"}
    """)
    write(tmp_path, "spec/schemas/a.yaml", spec_yaml("x.y.z", {"id": {"type": "integer"}}))
    auto = auto_twin(registry(tmp_path))
    assert [f.code for f in auto.findings] == ["duplicate-disagrees"]
    assert "/additionalInformation/id" in auto.findings[0].message


@pytest.mark.timeout(60)
def test_a_spec_whose_refs_double_at_every_step_is_compared_without_hanging(tmp_path):
    # d25 uses d24 twice, which uses d23 twice...: 2^25 paths, no recursion.
    definitions = {"d0": {"type": "string"}}
    for i in range(1, 26):
        definitions[f"d{i}"] = {"type": "object", "properties": {
            "a": {"$ref": f"#/definitions/d{i - 1}"}, "b": {"$ref": f"#/definitions/d{i - 1}"}}}
    payload = {"type": "object", "definitions": definitions, "properties": {
        "eventType": {"type": "string", "const": "x.y.z"},
        "additionalInformation": {"$ref": "#/definitions/d25"}}}
    write(tmp_path, "spec/auto/a.yaml", json.dumps({"name": "x.y.z", "payload": payload}))
    write(tmp_path, "spec/schemas/a.yaml", spec_yaml("x.y.z", {"a": {"type": "string"}}))
    auto = auto_twin(registry(tmp_path))
    assert [f.code for f in auto.findings] == ["duplicate-disagrees"]  # /a: object vs string
    assert auto.example is None  # too big to build: none, rather than one cut short


def test_same_origin_duplicates_first_path_wins(tmp_path):
    write(tmp_path, "spec/schemas/b.yaml", spec_yaml("dup.type"))
    write(tmp_path, "spec/schemas/a.yaml", spec_yaml("dup.type"))
    reg = registry(tmp_path)
    assert reg.lookup("dup.type").path.endswith("a.yaml")
    loser = [s for s in reg.index.specs if s.path.endswith("b.yaml")][0]
    assert [f.code for f in loser.findings] == ["duplicate-type"]


def test_indexed_by_name_and_by_event_type_const_or_example(tmp_path):
    text = spec_yaml("the.name")
    write(tmp_path, "spec/schemas/const.yaml", text.replace("const: the.name", "const: the.const"))
    write(tmp_path, "spec/schemas/example.yaml", spec_yaml("other.name").replace(
        "const: other.name", "example: other.example"))
    reg = registry(tmp_path)
    assert reg.lookup("the.name") is reg.lookup("the.const")
    assert reg.lookup("other.name") is reg.lookup("other.example")
    assert codes(reg, "the.name") == ["name-mismatch"]
    # the body's eventType picks the spec; the attribute is the fallback
    assert verdict(reg, event("other.example")).spec["name"] == "other.name"
    assert verdict(reg, event("no.such.type"), attribute="the.name").spec["name"] == "the.name"


def test_whole_asyncapi_document_with_component_refs(tmp_path):
    write(tmp_path, "asyncapi.yaml", """
        asyncapi: 2.6.0
        info: {title: things, version: 1.0.0}
        channels: {}
        components:
          messages:
            thingMade:
              name: doc.thing.made
              summary: A thing was made
              payload:
                $ref: '#/components/schemas/Made'
            thingBroken:
              summary: no payload here
          schemas:
            Made:
              type: object
              properties:
                eventType: {type: string, const: doc.thing.made}
                additionalInformation:
                  type: object
                  properties:
                    size: {type: integer, example: 3}
    """)
    reg = registry(tmp_path)
    spec = reg.lookup("doc.thing.made")
    assert spec is not None and spec.text("summary") == "A thing was made"
    assert [f.code for f in reg.index.findings] == ["no-payload"]
    errors = verdict(reg, event("doc.thing.made", additionalInformation={"size": "big"})).errors
    assert [e["pointer"] for e in errors] == ["/additionalInformation/size"]


def test_yaml_1_1_traps_stay_strings_in_specs(tmp_path):
    write(tmp_path, "spec/schemas/traps.yaml", """
        name: traps.happened
        payload:
          type: object
          properties:
            eventType: {type: string, const: traps.happened}
            additionalInformation:
              type: object
              properties:
                answer: {type: string, enum: [YES, NO, on, off, y, n]}
                day: {type: string, const: 2024-01-01}
                at: {type: string, example: 2024-01-01T10:00:00Z}
                code: {type: string, example: 012}
    """)
    reg = registry(tmp_path)
    spec = reg.lookup("traps.happened")
    info = spec.payload["properties"]["additionalInformation"]["properties"]
    assert info["answer"]["enum"] == ["YES", "NO", "on", "off", "y", "n"]
    assert info["day"]["const"] == "2024-01-01"
    assert info["at"]["example"] == "2024-01-01T10:00:00Z"
    assert codes(reg, "traps.happened") == ["example-fails-payload"]  # 012 is the integer 12
    ok = event("traps.happened", additionalInformation={"answer": "NO", "day": "2024-01-01"})
    assert verdict(reg, ok).status == "valid"


def test_tuple_items_and_unanchored_pattern(tmp_path):
    write(tmp_path, "spec/schemas/q.yaml", spec_yaml("q.happened", {
        "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
        "code": {"type": "string", "pattern": "[0-9]{3}"},
    }))
    reg = registry(tmp_path)
    good = event("q.happened", additionalInformation={"pair": ["a", 1, {"extra": True}],
                                                      "code": "ab123cd"})
    assert verdict(reg, good).status == "valid"  # unanchored: a search, not a full match
    bad = event("q.happened", additionalInformation={"pair": [1, "a"], "code": "12"})
    pointers = sorted(e["pointer"] for e in verdict(reg, bad).errors)
    assert pointers == ["/additionalInformation/code", "/additionalInformation/pair/0",
                        "/additionalInformation/pair/1"]


def test_date_time_is_rfc3339_in_specs(tmp_path):
    write(tmp_path, "spec/schemas/d.yaml", spec_yaml("d.happened", {
        "at": {"type": "string", "format": "date-time"}}))
    reg = registry(tmp_path)
    assert verdict(reg, event("d.happened", additionalInformation={
        "at": "2024-10-14T15:09:54.123Z"})).status == "valid"
    errors = verdict(reg, event("d.happened", additionalInformation={
        "at": "2024-10-14T15:09:54"})).errors
    assert [(e["pointer"], e["keyword"]) for e in errors] == [
        ("/additionalInformation/at", "format")]


def test_string_where_a_schema_belongs_becomes_empty_and_is_reported(tmp_path):
    write(tmp_path, "spec/auto/m.yaml", """
        name: m.happened
        payload:
          type: object
          properties:
            eventType: {type: string, example: m.happened}
            additionalInformation:
              properties:
                applicationId: applicationId
                count: {type: strin}
                items: [1, 2]
                nested:
                  type: object
                  properties:
                    deep: 42
    """)
    reg = registry(tmp_path)
    spec = reg.lookup("m.happened")
    assert codes(reg, "m.happened") == ["malformed-subschema"] * 4
    pointers = sorted(f.pointer for f in spec.findings)
    assert pointers == ["/properties/additionalInformation/properties/applicationId",
                        "/properties/additionalInformation/properties/count/type",
                        "/properties/additionalInformation/properties/items",
                        "/properties/additionalInformation/properties/nested/properties/deep"]
    body = event("m.happened", additionalInformation={"applicationId": 5, "count": "x",
                                                      "items": {}, "nested": {"deep": []}})
    assert verdict(reg, body).status == "valid"  # each broken subschema acts as {}


def test_not_a_schema_no_payload_and_yaml_errors_never_crash(tmp_path):
    write(tmp_path, "spec/schemas/str.yaml", "name: s.happened\npayload: just words\n")
    write(tmp_path, "spec/schemas/none.yaml", "name: n.happened\nsummary: nothing\n")
    write(tmp_path, "spec/schemas/bad.yaml", "name: [unclosed\n")
    write(tmp_path, "spec/schemas/list.yaml", "- 1\n- 2\n")
    write(tmp_path, "spec/schemas/ok.yaml", spec_yaml("ok.happened"))
    reg = registry(tmp_path)
    assert codes(reg, "s.happened") == ["not-a-schema"]
    assert sorted(f.code for f in reg.index.findings) == ["no-payload", "not-a-message",
                                                          "yaml-error"]
    assert verdict(reg, event("s.happened")).status == "valid"
    assert reg.lookup("ok.happened") is not None


def test_self_inconsistent_spec_marks_errors_as_its_fault(tmp_path):
    # version "1.0" against the envelope's integer; detailUrl typed string with example null;
    # occurredAt without an offset; const true under type string; required names a ghost.
    write(tmp_path, "spec/schemas/liar.yaml", """
        name: liar.happened
        payload:
          type: object
          properties:
            eventType: {type: string, const: liar.happened}
            version: {type: string, example: "1.0"}
            occurredAt: {type: string, example: "2024-10-14T15:09:54"}
            detailUrl: {type: string, example: null}
            additionalInformation:
              type: object
              required: [ghost]
              properties:
                approved: {type: string, const: true}
                identifiers:
                  type: array
                  items: [{type: object, properties: {value: {type: integer, example: A1}}}]
    """)
    reg = registry(tmp_path)
    spec = reg.lookup("liar.happened")
    assert codes(reg, "liar.happened") == sorted(
        ["example-fails-envelope"] * 3 + ["example-fails-payload"] * 3
        + ["const-type-conflict", "required-undeclared"])
    assert spec.fault_pointers == {
        "/version", "/occurredAt", "/detailUrl", "/additionalInformation/approved",
        "/additionalInformation/ghost", "/additionalInformation/identifiers/*/value"}
    # A publisher following the spec: "1.0" fails only the envelope, and it is the spec's fault.
    follows = verdict(reg, event("liar.happened", version="1.0",
                                 additionalInformation={"ghost": 1, "approved": "yes"}))
    assert follows.status == "invalid"
    assert [(e["schema"], e["pointer"], e.get("specFault")) for e in follows.errors] == [
        ("envelope", "/version", True), ("spec", "/additionalInformation/approved", True)]
    assert follows.spec_fault and follows.as_dict()["specFault"] is True
    # An index anywhere in the array matches the normalised fault pointer.
    listed = verdict(reg, event("liar.happened", version="1.0", additionalInformation={
        "ghost": 1, "identifiers": [{"value": "x"}]}))
    assert any(e["pointer"] == "/additionalInformation/identifiers/0/value" and e["specFault"]
               for e in listed.errors)
    # The publisher's own mistake elsewhere is not the spec's fault.
    mine = verdict(reg, event("liar.happened", version="1.0", additionalInformation={
        "ghost": 1}, personReference={"identifiers": [{"type": "NOMS"}]}))
    blame = {e["pointer"]: e.get("specFault", False) for e in mine.errors}
    assert blame == {"/version": True, "/personReference/identifiers/0/value": False}
    assert mine.spec_fault is False


def test_consistent_spec_has_no_findings_and_unknown_without_spec(tmp_path):
    write(tmp_path, "spec/schemas/c.yaml", spec_yaml("c.happened", {
        "id": {"type": "integer", "example": 4}}, required=["eventType"]))
    reg = registry(tmp_path)
    assert codes(reg, "c.happened") == []
    assert reg.lookup("c.happened").example == {
        "eventType": "c.happened", "version": 1, "occurredAt": "2024-10-14T15:09:54+01:00",
        "additionalInformation": {"id": 4}}
    assert verdict(reg, event("c.happened")).status == "valid"
    assert verdict(reg, event("other.type")).status == "unknown"
    assert verdict(reg, event("c.happened", version="1")).errors[0].get("specFault") is None


def test_missing_spec_dir_is_a_clear_error(tmp_path):
    reg = SpecRegistry([str(tmp_path / "nope")])
    with pytest.raises(SpecSourceError, match="is not a directory"):
        reg.reload()
    assert not reg.loaded


def test_reload_reports_changed_types_and_swaps(tmp_path):
    write(tmp_path, "spec/schemas/a.yaml", spec_yaml("a.happened"))
    write(tmp_path, "spec/schemas/b.yaml", spec_yaml("b.happened"))
    reg = SpecRegistry([str(tmp_path)])
    assert reg.reload() is None  # from nothing to something: every type may change
    before = reg.index
    write(tmp_path, "spec/schemas/b.yaml", spec_yaml("b.happened", {"n": {"type": "integer"}}))
    write(tmp_path, "spec/schemas/c.yaml", spec_yaml("c.happened"))
    assert reg.reload() == ["b.happened", "c.happened"]
    assert reg.index is not before and before.by_type.keys() == {"a.happened", "b.happened"}
    (tmp_path / "spec/schemas/c.yaml").write_text("name: [broken", encoding="utf-8")
    assert reg.reload() == ["c.happened"]
    assert [f.code for f in reg.index.findings] == ["yaml-error"]


def test_reload_reparses_only_changed_files(tmp_path, monkeypatch):
    from viewer.specs import loader

    write(tmp_path, "spec/schemas/a.yaml", spec_yaml("a.happened"))
    b = write(tmp_path, "spec/schemas/b.yaml", spec_yaml("b.happened"))
    parsed: list[str] = []
    real = loader.parse_file
    monkeypatch.setattr(loader, "parse_file",
                        lambda text, path, rel: parsed.append(rel) or real(text, path, rel))
    reg = registry(tmp_path)
    assert sorted(parsed) == ["spec/schemas/a.yaml", "spec/schemas/b.yaml"]
    parsed.clear()
    reg.reload()
    assert parsed == []
    b.write_text(spec_yaml("b.happened", {"n": {"type": "integer"}}), encoding="utf-8")
    assert reg.reload() == ["b.happened"]
    assert parsed == ["spec/schemas/b.yaml"]
