"""The spec subcommands: validate, lint-specs, draft-spec (and the draft round trip)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from tests.conftest import event
from tests.test_specs_registry import spec_yaml, write
from viewer import cli
from viewer.specs.registry import SpecRegistry
from viewer.validation import Judge


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def message_file(tmp_path: Path, name: str, body: object) -> str:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return str(path)


def sns_envelope(body: dict, event_type: str) -> dict:
    """An SNS notification as an SQS queue receives it."""
    return {"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:eu-west-2:1:t",
            "Message": json.dumps(body), "Timestamp": "2024-10-14T14:09:55.000Z",
            "MessageAttributes": {"eventType": {"Type": "String", "Value": event_type}}}


def test_validate_bare_and_enveloped_messages(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("VIEWER_SPEC_DIRS", raising=False)
    specs = tmp_path / "specs"
    write(specs, "spec/schemas/a.yaml", spec_yaml("a.happened", {"n": {"type": "integer"}}))
    good = message_file(tmp_path, "good.json", event("a.happened"))
    wrapped = message_file(tmp_path, "wrapped.json", sns_envelope(
        event("a.happened", additionalInformation={"n": "x"}), "a.happened"))
    code, out, _ = run(capsys, "validate", good, "--spec-dir", str(specs))
    assert code == 0
    assert out.startswith(f"{good}: valid (spec a.happened: ")
    code, out, _ = run(capsys, "validate", good, wrapped, "--spec-dir", str(specs))
    assert code == 1
    assert f"{wrapped}: invalid" in out
    assert "  /additionalInformation/n: " in out and "[spec type]" in out


def test_validate_without_specs_checks_the_envelope(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("VIEWER_SPEC_DIRS", raising=False)
    broken = message_file(tmp_path, "broken.json", event("x", version="1"))
    unparseable = message_file(tmp_path, "bad.json", '{"eventType": NaN}')
    code, out, _ = run(capsys, "validate", broken, unparseable)
    assert code == 1
    assert "/version: " in out and f"{unparseable}: unparseable" in out
    code, out, _ = run(capsys, "validate", broken, "--json")
    assert orjson.loads(out.splitlines()[0])["errors"][0]["pointer"] == "/version"


def test_validate_flags_the_spec_fault_and_strict_unknown(tmp_path, capsys):
    specs = tmp_path / "specs"
    write(specs, "spec/schemas/liar.yaml", spec_yaml("liar.happened").replace(
        "type: integer\n      example: 1", "type: string\n      example: '1.0'"))
    follows = message_file(tmp_path, "f.json", event("liar.happened", version="1.0"))
    code, out, _ = run(capsys, "validate", follows, "--spec-dir", str(specs))
    assert code == 1 and "the spec's fault" in out
    other = message_file(tmp_path, "o.json", event("other.type"))
    assert run(capsys, "validate", other, "--spec-dir", str(specs))[0] == 0
    code, out, _ = run(capsys, "validate", other, "--spec-dir", str(specs), "--strict")
    assert code == 1 and "unknown" in out


def test_validate_missing_file_and_bad_spec_dir_exit_2(tmp_path, capsys):
    code, _, err = run(capsys, "validate", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read" in err
    good = message_file(tmp_path, "g.json", event())
    code, _, err = run(capsys, "validate", good, "--spec-dir", str(tmp_path / "nope"))
    assert code == 2 and "is not a directory" in err


def test_lint_specs_groups_findings_per_file(tmp_path, capsys):
    write(tmp_path, "spec/schemas/ok.yaml", spec_yaml("ok.happened"))
    code, out, _ = run(capsys, "lint-specs", str(tmp_path))
    assert code == 0 and "0 findings" in out
    write(tmp_path, "spec/schemas/liar.yaml", spec_yaml("liar.happened", {
        "flag": {"type": "string", "const": True}}))
    write(tmp_path, "spec/auto/broken.yaml", "name: [x\n")
    code, out, _ = run(capsys, "lint-specs", str(tmp_path))
    assert code == 1
    lines = out.splitlines()
    liar = lines.index(str(tmp_path / "spec/schemas/liar.yaml"))
    assert lines[liar + 1].startswith("  const-type-conflict /properties/additionalInformation/")
    assert any(line.startswith("  yaml-error: ") for line in lines)
    assert "const-type-conflict: 1" in lines[-1] and "yaml-error: 1" in lines[-1]
    code, out, _ = run(capsys, "lint-specs", str(tmp_path), "--json")
    assert {f["code"] for f in orjson.loads(out)["findings"]} == {
        "const-type-conflict", "example-fails-payload", "yaml-error"}


def test_lint_specs_needs_a_dir(capsys, tmp_path):
    assert run(capsys, "lint-specs")[0] == 2
    assert run(capsys, "lint-specs", str(tmp_path / "nope"))[0] == 2


def test_draft_round_trip(tmp_path, capsys):
    first = event("drafted.happened", detailUrl="https://example.test/1",
                  additionalInformation={"id": 1, "uuid": "6a0783ee-024e-4201-8e1f-3ead5fd2492a",
                                         "flag": "YES", "when": "2024-10-14"})
    second = event("drafted.happened", occurredAt="2024-10-15T09:00:00Z",
                   additionalInformation={"id": 2, "uuid": "5b0783ee-024e-4201-8e1f-3ead5fd2492b",
                                          "note": None, "flag": "NO", "when": "2024-10-15"})
    files = [message_file(tmp_path, "1.json", first),
             message_file(tmp_path, "2.json", sns_envelope(second, "drafted.happened"))]
    code, out, _ = run(capsys, "draft-spec", *files)
    assert code == 0
    specs = tmp_path / "specs"
    write(specs, "spec/schemas/drafted/drafted.happened.yaml", out)
    spec_doc = SpecRegistry([str(specs)])
    spec_doc.reload()
    spec = spec_doc.lookup("drafted.happened")
    assert list(spec.message) == ["name", "title", "summary", "contentType", "payload"]
    assert spec.message["summary"] == "A thing happened"
    payload = spec.payload
    info = payload["properties"]["additionalInformation"]
    assert info["required"] == ["id", "uuid", "flag", "when"]  # note is in one message only
    assert info["properties"]["uuid"]["format"] == "uuid"
    assert info["properties"]["flag"]["example"] == "YES"  # a string after the YAML round trip
    assert info["properties"]["when"]["example"] == "2024-10-14"
    assert "format" not in info["properties"]["when"]  # a date is not a date-time
    assert payload["properties"]["occurredAt"]["format"] == "date-time"
    assert "detailUrl" not in payload["required"] and "detailUrl" in payload["properties"]
    assert spec.findings == []  # the draft passes its own lint
    judge = Judge(spec_doc)
    for body in (first, second):
        assert judge.judge(body, None, None).status == "valid"
    wrong = event("drafted.happened", additionalInformation={"id": "one"})
    assert judge.judge(wrong, None, None).status == "invalid"


def test_draft_refuses_mixed_types_and_garbage(tmp_path, capsys):
    a = message_file(tmp_path, "a.json", event("a.one"))
    b = message_file(tmp_path, "b.json", event("b.two"))
    code, _, err = run(capsys, "draft-spec", a, b)
    assert code == 2 and "several event types" in err
    junk = message_file(tmp_path, "junk.json", "not json")
    code, _, err = run(capsys, "draft-spec", junk)
    assert code == 2 and "nothing to draft from" in err
    code, out, _ = run(capsys, "draft-spec", a, b, "--event-type", "chosen.name")
    assert code == 0 and out.count("chosen.name") >= 2


def test_serve_with_a_missing_spec_dir_stops_with_a_clear_error(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "viewer", "serve", "--queue", "unused", "--port", "0",
         "--spec-dir", str(tmp_path / "nope")],
        capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 2
    assert f"spec dir {str(tmp_path / 'nope')!r} is not a directory" in result.stderr
