"""A spec author edits YAML: live traffic is re-judged and websocket clients are told."""

from __future__ import annotations

import json
import os
import urllib.request

from tests.conftest import event, wait_until
from tests.test_specs_registry import spec_yaml, write


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def post_json(url: str) -> tuple[int, object]:
    request = urllib.request.Request(url, method="POST", data=b"")  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def bump(path) -> None:
    """Make sure a rewrite is seen even on a coarse-mtime filesystem."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_edit_spec_file_revalidates_live_traffic(live, topic, tmp_path):
    specs = tmp_path / "specs"
    spec_file = write(specs, "spec/schemas/r.yaml", spec_yaml(
        "r.thing.happened", {"n": {"type": "integer"}}))
    write(specs, "spec/schemas/other.yaml", spec_yaml("r.other.happened"))
    server = live({"QUEUES": [topic.queue_url], "SPEC_DIRS": [str(specs)], "SPEC_WATCH": True})
    topic.publish(event("r.thing.happened", additionalInformation={"n": "seven"}))
    topic.publish(event("r.unrelated.happened"))
    found = wait_until(lambda: (r := get_json(server.url + "/api/messages"))["total"] == 2
                       and r, message="two messages")
    by_type = {m["eventType"]: m for m in found["messages"]}
    first = by_type["r.thing.happened"]
    assert first["validation"]["status"] == "invalid"
    assert first["validation"]["spec"]["path"] == str(spec_file)
    assert by_type["r.unrelated.happened"]["validation"]["status"] == "unknown"

    ws = server.ws()
    ws.subscribe({"eventType": "r.thing.happened"})
    assert ws.receive_type("messages/reset")["payload"]["total"] == 1
    # The author fixes the spec: n is a string after all.
    spec_file.write_text(spec_yaml("r.thing.happened", {"n": {"type": "string"}}),
                         encoding="utf-8")
    bump(spec_file)
    frame = ws.receive_type("messages/revalidated", timeout=10)
    assert frame["payload"]["removed"] == []
    [again] = frame["payload"]["messages"]
    assert again["seq"] == first["seq"]
    assert again["validation"] == {"status": "valid", "errors": [],
                                   "spec": first["validation"]["spec"]}
    assert get_json(f"{server.url}/api/messages/{first['seq']}")["validation"]["status"] == "valid"
    ws.close()

    # A new spec for the unrelated type turns its unknown into a verdict.
    write(specs, "spec/auto/unrelated.yaml", spec_yaml("r.unrelated.happened"))
    wait_until(lambda: get_json(server.url + "/api/messages?eventType=r.unrelated.happened")[
        "messages"][0]["validation"]["status"] == "valid", timeout=10, message="new spec used")
    health = get_json(server.url + "/health")["components"]["specs"]
    assert health["status"] == "UP" and health["details"]["watcher"]["reloads"] >= 2


def test_broken_edit_keeps_serving_and_post_reload(live, topic, tmp_path):
    specs = tmp_path / "specs"
    spec_file = write(specs, "spec/schemas/r.yaml", spec_yaml("p.thing.happened"))
    server = live({"QUEUES": [topic.queue_url], "SPEC_DIRS": [str(specs)]})  # no watcher
    topic.publish(event("p.thing.happened", version="1"))
    wait_until(lambda: get_json(server.url + "/api/messages")["total"] == 1, message="message")
    spec_file.write_text(spec_yaml("p.thing.happened").replace(
        "type: integer\n      example: 1", "type: string\n      example: '1'"), encoding="utf-8")
    status, result = post_json(server.url + "/api/specs/reload")
    assert status == 200
    assert result["reloaded"] is True and result["specs"] == 1
    assert result["affectedEventTypes"] == ["p.thing.happened"] and result["revalidated"] == 1
    [m] = get_json(server.url + "/api/messages")["messages"]
    assert [(e["schema"], e["pointer"], e.get("specFault")) for e in m["validation"]["errors"]] \
        == [("envelope", "/version", True)]
    assert m["validation"]["specFault"] is True
    # A dir that vanishes: a clear 502, and the previous specs stay in use.
    for path in sorted(specs.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    specs.rmdir()
    status, result = post_json(server.url + "/api/specs/reload")
    assert status == 502 and "is not a directory" in result["error"]
    catalogue = get_json(server.url + "/api/specs")
    assert catalogue["specCount"] == 1 and "is not a directory" in catalogue["error"]
