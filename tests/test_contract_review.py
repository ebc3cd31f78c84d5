"""Contract checks from a review: hostile specs and messages the other tests did not reach."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from tests.conftest import event
from tests.test_specs_registry import registry, verdict, write
from viewer.specs import draft, yaml12
from viewer.validation import CompiledSchema, is_rfc3339


@pytest.fixture
def http_hits() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every path asked of it: (base URL, paths)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            body = b'{"type": "integer"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_broken_refs_and_regexes_never_crash_the_judge(tmp_path, http_hits):
    base, hits = http_hits
    broken = {
        "ref.nowhere": "{$ref: '#/definitions/nope'}",
        "ref.remote": f"{{$ref: '{base}/schema.json'}}",
        "ref.relative": "{$ref: 'other.yaml#/Thing'}",
        "bad.regex": "{pattern: '[a-'}",
    }
    for name, k in broken.items():
        write(tmp_path, f"spec/schemas/{name}.yaml", f"""
            name: {name}
            payload:
              type: object
              properties:
                eventType: {{type: string, const: {name}}}
                additionalInformation:
                  type: object
                  properties:
                    k: {k}
                    n: {{type: integer}}
        """)
    reg = registry(tmp_path)
    assert hits == []  # a spec never makes the viewer fetch anything
    for name in broken:
        spec = reg.lookup(name)
        assert spec is not None, name
        assert [(f.code, f.pointer) for f in spec.findings] == [
            ("malformed-subschema", "/properties/additionalInformation/properties/k/"
             + ("pattern" if name == "bad.regex" else "$ref"))], name
        for k in ("x", 5, {"a": 1}):
            good = verdict(reg, event(name, additionalInformation={"k": k, "n": 1}))
            assert good.status == "valid", (name, k, good.errors)
        # the rest of the spec still applies, and the broken place is the spec's fault
        bad = verdict(reg, event(name, additionalInformation={"k": "x", "n": "one"}))
        assert [(e["pointer"], e["keyword"]) for e in bad.errors] == [
            ("/additionalInformation/n", "type")]
        assert spec.is_fault({"pointer": "/additionalInformation/k"})


@pytest.mark.timeout(60)
def test_recursive_refs_load_and_judge(tmp_path):
    # Two self-references a node: unrolled to the depth limit, that was 2^64 nodes to walk.
    write(tmp_path, "spec/schemas/tree.yaml", """
        name: tree.grown
        payload:
          type: object
          definitions:
            node:
              type: object
              properties:
                size: {type: integer, example: 3}
                child: {$ref: '#/definitions/node'}
                sibling: {$ref: '#/definitions/node'}
          properties:
            additionalInformation: {$ref: '#/definitions/node'}
    """)
    # The same tree with its node written in place: a $ref back to a schema reached
    # through properties is recursion too.
    write(tmp_path, "spec/schemas/inline.yaml", """
        name: tree.inline
        payload:
          type: object
          properties:
            additionalInformation:
              type: object
              properties:
                size: {type: integer, example: 3}
                child: {$ref: '#/properties/additionalInformation'}
    """)
    reg = registry(tmp_path)
    spec = reg.lookup("tree.grown")
    assert spec.findings == []
    for name in ("tree.grown", "tree.inline"):  # the recursion left out, never unrolled
        assert reg.lookup(name).example == {"additionalInformation": {"size": 3}}
    deep = {"child": {"child": {"size": "big"}}}
    errors = verdict(reg, event("tree.grown", additionalInformation=deep)).errors
    assert [e["pointer"] for e in errors] == ["/additionalInformation/child/child/size"]


def test_asyncapi_document_component_schemas_are_sanitised_and_indexed(tmp_path):
    write(tmp_path, "spec/schemas/doc.yaml", """
        asyncapi: 2.6.0
        components:
          messages:
            ThingMade:
              payload: {$ref: '#/components/schemas/Made'}
          schemas:
            Made:
              type: object
              properties:
                eventType: {type: string, const: doc.thing.made}
                applicationId: applicationId
                count: {type: integer}
    """)
    reg = registry(tmp_path)
    spec = reg.lookup("doc.thing.made")  # the eventType const behind the $ref
    assert spec is not None and reg.lookup("ThingMade") is spec
    assert ("malformed-subschema", "/components/schemas/Made/properties/applicationId") in [
        (f.code, f.pointer) for f in spec.findings]
    ok = verdict(reg, event("doc.thing.made", applicationId=[1]))
    assert ok.status == "valid", ok.errors
    bad = verdict(reg, event("doc.thing.made", count="x"))
    assert [(e["pointer"], e["keyword"]) for e in bad.errors] == [("/count", "type")]


def test_a_schema_that_cannot_be_applied_gives_an_error_not_an_exception():
    # jsonschema-rs refuses it, the reference engine only fails once it validates
    compiled = CompiledSchema({"properties": {"k": {"type": "strin"}}}, "spec")
    assert compiled.engine == "jsonschema"
    errors = compiled.errors({"k": 1})
    assert [(e["schema"], e["pointer"], e["keyword"]) for e in errors] == [
        ("spec", "", "schema")]
    assert compiled.is_valid({"k": 1}) is False


@pytest.mark.parametrize("engine", ["jsonschema-rs", "jsonschema"])
def test_false_schemas_name_the_keyword_and_point_at_each_member(engine, monkeypatch):
    if engine == "jsonschema":  # as when jsonschema-rs refuses a spec
        monkeypatch.setattr("viewer.validation.jsonschema_rs.Draft7Validator",
                            lambda *a, **k: (_ for _ in ()).throw(ValueError("refused")))
    closed = CompiledSchema({"properties": {"info": {"additionalProperties": False},
                                            "gone": False}}, "spec")
    assert closed.engine == engine
    errors = closed.errors({"info": {"a/b": 1, "~x": 2}, "gone": 1})
    # (the reference engine loses the location of a false subschema: only its keyword)
    gone = "/gone" if engine == "jsonschema-rs" else ""
    assert sorted((e["pointer"], e["keyword"]) for e in errors) == sorted([
        (gone, "false"), ("/info/a~1b", "additionalProperties"),
        ("/info/~0x", "additionalProperties")])


@pytest.mark.parametrize("text", ["٢٠٢٤-01-01T00:00:00Z", "2024-01-01T00:00:00+٠١:00",
                                  "2024-01-01T00:00:00.５Z"])
def test_date_time_digits_are_ascii(text):
    assert is_rfc3339(text) is False


def test_draft_keeps_strings_that_yaml_1_2_would_read_as_numbers(tmp_path):
    tricky = ["1e5", "0o17", "0x1F", "-.5", "+12", ".inf", "null", "~", "true", "False", "1_000"]
    body = event("drafted.tricky", additionalInformation={
        **{f"v{i}": text for i, text in enumerate(tricky)}, **{text: 1 for text in tricky}})
    text = draft.draft_yaml([json.dumps(body)])
    loaded = yaml12.load(text)
    info = loaded["payload"]["properties"]["additionalInformation"]
    assert [info["properties"][f"v{i}"]["example"] for i in range(len(tricky))] == tricky
    assert all(text in info["properties"] for text in tricky)  # keys stay strings too
    write(tmp_path, "spec/schemas/drafted.yaml", text)
    reg = registry(tmp_path)
    assert reg.lookup("drafted.tricky").findings == []  # the draft passes its own lint
    assert verdict(reg, body).status == "valid"


def test_alias_bombs_and_cycles_are_yaml_errors_not_hangs(tmp_path):
    bomb = ["name: a.bomb", 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    bomb += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb.append("payload: {type: object, properties: {k: {example: *a9}}}")
    (tmp_path / "spec/schemas").mkdir(parents=True)
    (tmp_path / "spec/schemas/bomb.yaml").write_text("\n".join(bomb) + "\n")
    write(tmp_path, "spec/schemas/cycle.yaml", """
        name: a.cycle
        payload: &p
          type: object
          properties:
            child: *p
    """)
    write(tmp_path, "spec/schemas/shared.yaml", """
        name: a.shared
        payload:
          type: object
          definitions:
            id: &id {type: string, pattern: '^[A-Z]'}
          properties:
            one: *id
            two: *id
    """)
    reg = registry(tmp_path)
    found = {f.path.rsplit("/", 1)[-1]: (f.code, f.message) for f in reg.index.findings}
    assert found["bomb.yaml"][0] == "yaml-error" and "expand" in found["bomb.yaml"][1]
    assert found["cycle.yaml"][0] == "yaml-error" and "cycle" in found["cycle.yaml"][1]
    assert reg.lookup("a.shared").findings == []  # aliases used sensibly are fine
    bad = verdict(reg, event("a.shared", one="Ok", two="lower"))
    assert [e["pointer"] for e in bad.errors] == ["/two"]


def test_non_string_yaml_keys_become_their_json_spelling(tmp_path):
    write(tmp_path, "spec/schemas/keys.yaml", """
        name: a.keys
        payload:
          type: object
          properties:
            null: {type: string}
            true: {type: string}
            12: {type: string}
    """)
    reg = registry(tmp_path)
    assert sorted(reg.lookup("a.keys").payload["properties"]) == ["12", "null", "true"]
    bad = verdict(reg, event("a.keys", **{"null": 1, "true": 2, "12": 3}))
    assert sorted(e["pointer"] for e in bad.errors) == ["/12", "/null", "/true"]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/messages/abc", 404), ("GET", "/api/messages/-1", 404),
    ("GET", "/api/no-such-thing", 404), ("DELETE", "/api/messages", 405)])
def test_api_routing_errors_are_json(app_factory, method, path, status):
    client = app_factory({"QUEUES": []}, start=False).test_client()
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.is_json and "error" in response.get_json()
    assert client.get("/no-such-page").mimetype == "text/html"  # pages keep HTML errors
