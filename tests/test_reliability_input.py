"""Bad input (issue 5, points 7-9): every case stored, flagged and shown; nothing crashes.

Bodies go through a real local SQS queue into a running consumer; what comes out of the
REST API and the websocket is decoded as strictly as a browser would (UTF-8, no NaN).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from simple_websocket import ConnectionClosed

from tests.conftest import event, wait_until

SQS_MAX = 256 * 1024


def strict(data: bytes | str) -> Any:
    """Decode as strictly as a browser: valid UTF-8, RFC 8259 JSON with no NaN/Infinity."""
    raw = data.encode("utf-8", "strict") if isinstance(data, str) else data
    text = raw.decode("utf-8", "strict")

    def no_constants(name: str) -> Any:
        raise AssertionError(f"{name} in JSON sent to a browser")

    value = json.loads(text, parse_constant=no_constants)
    assert orjson.loads(raw) == value or value != value  # orjson is strict too
    return value


def at_sqs_max() -> str:
    """A valid event whose text is exactly the SQS maximum, 256 KiB."""
    body = event("big.event", description="")
    base = len(orjson.dumps(body))
    body["description"] = "x" * (SQS_MAX - base)
    text = orjson.dumps(body).decode()
    assert len(text.encode()) == SQS_MAX
    return text


VALID = orjson.dumps(event("ok.event")).decode()
ENVELOPE_NO_ATTRIBUTES = json.dumps({
    "Type": "Notification", "MessageId": "sns-no-attributes",
    "TopicArn": "arn:aws:sns:eu-west-2:000000000000:some-topic",
    "Message": orjson.dumps(event("from.body.only")).decode(),
    "Timestamp": "2024-10-14T14:09:54.000Z",
})

# (name, SQS body, expected status, text the first error or warning must contain)
CASES: list[tuple[str, str, str, str]] = [
    ("not json", "this is not JSON at all", "unparseable", ""),
    ("truncated", VALID[: len(VALID) // 2], "unparseable", ""),
    ("bom", "\ufeff" + VALID, "unparseable", ""),
    ("nan", VALID.replace('"version":1', '"version":NaN'), "unparseable", ""),
    ("infinity", VALID.replace('"version":1', '"version":Infinity'), "unparseable", ""),
    ("comment", "// a comment\n" + VALID, "unparseable", ""),
    ("block comment", VALID.replace("{", "{/* c */", 1), "unparseable", ""),
    ("duplicate keys", VALID.replace('"version":1', '"version":"one","version":1'), "valid",
     "duplicate key 'version'"),
    ("lone surrogate", VALID.replace('"A thing happened"', '"\\ud800"'), "unparseable", ""),
    ("array", "[1, 2, 3]", "invalid", ""),
    ("string", '"just a string"', "invalid", ""),
    ("null", "null", "invalid", ""),
    ("envelope without attributes", ENVELOPE_NO_ATTRIBUTES, "valid", ""),
    ("sqs maximum", at_sqs_max(), "valid", ""),
    ("100000 deep", "[" * 100_000 + "]" * 100_000, "unparseable", "nesting deeper"),
    ("control and bidi", orjson.dumps(event(
        "ctl.event", description="\u0000\u0007\u001b[31m red \u202eevil\u202c \u2066x\u2069 "
        "\u200f\ufeff\u2028\u2029")).decode(), "valid", ""),
]


@pytest.mark.slow
def test_every_bad_body_is_stored_flagged_and_shown(app_factory, make_topic, live, sqs):
    """Each case is stored once with the right status; REST and ws output is strict JSON."""
    topic = make_topic(raw=True)
    server = live(app=app_factory({"QUEUES": [f"bad={topic.queue_url}"]}))
    viewer = server.app.extensions["viewer"]
    for name, body, _, _ in CASES:
        sqs.send_message(QueueUrl=topic.queue_url, MessageBody=body, MessageAttributes={
            "case": {"DataType": "String", "StringValue": name}})
    wait_until(lambda: len(viewer.store) >= len(CASES), timeout=60,
               message="every bad body stored")

    client = server.app.test_client()
    listing = strict(client.get(f"/api/messages?limit={len(CASES) + 5}").get_data())
    assert listing["total"] == len(CASES)
    by_case = {m["attributes"].get("case") or m["messageId"]: m for m in listing["messages"]}
    for name, body, status, text in CASES:
        key = name if name != "envelope without attributes" else "sns-no-attributes"
        listed = by_case[key]
        assert listed["validation"]["status"] == status, (name, listed["validation"])
        whole = strict(client.get(f"/api/messages/{listed['seq']}").get_data())
        assert whole["size"] == len(whole["raw"].encode("utf-8", "surrogatepass")), name
        if name != "envelope without attributes":
            assert whole["raw"] == body, name  # stored exactly as sent
        if status == "unparseable":
            assert whole["body"] is None and whole["parseError"], name
            assert whole["validation"]["errors"][0]["pointer"] == ""
        if text:
            said = [e["message"] for e in whole["validation"]["errors"]]
            said += whole["validation"].get("warnings", [])
            assert any(text in s for s in said), (name, said)

    assert by_case["array"]["validation"]["errors"][0]["pointer"] == ""
    assert by_case["sns-no-attributes"]["eventType"] == "from.body.only"
    assert by_case["sns-no-attributes"]["attributes"] == {}
    assert by_case["sqs maximum"]["truncated"] is True  # list view; detail fetched whole above
    assert by_case["sqs maximum"]["size"] == SQS_MAX

    # The websocket shows the same messages, in frames a browser can decode.
    ws = server.ws()
    ws.client.send(orjson.dumps({"type": "subscribe", "payload": {
        "filter": {"limit": "100"}, "after": None}}).decode())
    reset = strict(ws.client.receive(timeout=15))
    assert reset["type"] == "messages/reset"
    assert reset["payload"]["total"] == len(CASES)

    # The consumer survived all of it: a good message still arrives, live.
    sqs.send_message(QueueUrl=topic.queue_url, MessageBody=VALID)
    added = strict(ws.client.receive(timeout=15))
    assert added["type"] == "messages/add"
    assert added["payload"]["validation"]["status"] == "valid"
    assert all(c.alive for c in viewer.consumers)
    ws.close()


def test_display_limit_truncates_lists_not_the_detail(app_factory, live):
    """Above DISPLAY_LIMIT the list and stream carry a cut ``raw`` and the size; detail is whole."""
    server = live(app=app_factory({"DISPLAY_LIMIT": 1000}, start=False))
    viewer = server.app.extensions["viewer"]
    big = orjson.dumps(event("big.one", description="é" * 3000)).decode()
    viewer.ingest_text(big, "big-1")
    client = server.app.test_client()
    listed = strict(client.get("/api/messages").get_data())["messages"][0]
    assert listed["truncated"] is True and listed["body"] is None
    assert listed["size"] == len(big.encode())
    assert len(listed["raw"].encode()) <= 1000 and big.startswith(listed["raw"])
    whole = strict(client.get(f"/api/messages/{listed['seq']}").get_data())
    assert whole["raw"] == big and whole["body"]["description"] == "é" * 3000
    assert "truncated" not in whole

    ws = server.ws()
    ws.subscribe({})
    assert ws.receive_type("messages/reset")["payload"]["messages"][0]["truncated"] is True
    viewer.ingest_text(big, "big-2")
    added = ws.receive_type("messages/add")["payload"]
    assert added["truncated"] is True and added["size"] == len(big.encode())
    small = orjson.dumps(event("small.one")).decode()
    viewer.ingest_text(small, "small-1")
    added = ws.receive_type("messages/add")["payload"]
    assert "truncated" not in added and added["body"]["eventType"] == "small.one"
    ws.close()


MALFORMED = [
    "not json",
    "[1, 2]",
    '"subscribe"',
    '{"type": "subscribe"}',
    '{"type": "subscribe", "payload": "everything"}',
    '{"type": "subscribe", "payload": {"filter": []}}',
    '{"type": "subscribe", "payload": {"filter": {"status": "bogus"}}}',
    '{"type": "subscribe", "payload": {"filter": {"status": 5}}}',
    '{"type": "subscribe", "payload": {"filter": {"eventType": [{"a": 1}]}}}',
    '{"type": "subscribe", "payload": {"filter": {"since": {"a": 1}}}}',
    '{"type": "subscribe", "payload": {"filter": {"q": ["a", 1]}}}',
    '{"type": "subscribe", "payload": {"filter": {"limit": -1}}}',
    '{"type": "subscribe", "payload": {"filter": {}, "after": "yesterday"}}',
    '{"type": "subscribe", "payload": {"filter": {}, "after": 1e300}}',
    '{"type": "subscribe", "payload": {"filter": {}, "after": NaN}}',
    '{"type": 7}',
    '{"type": "no/such-frame", "payload": {}}',
]


def test_malformed_frames_get_error_frames_and_the_connection_lives(app_factory, live):
    """Each malformed frame is answered with an ``error`` frame; then subscribe still works."""
    server = live(app=app_factory(start=False))
    viewer = server.app.extensions["viewer"]
    viewer.ingest_text(orjson.dumps(event("after.errors")).decode(), "m-1")
    ws = server.ws()
    for text in MALFORMED:
        ws.client.send(text)
        answer = strict(ws.client.receive(timeout=10))
        assert answer["type"] == "error", (text, answer)
        assert isinstance(answer["payload"]["message"], str) and answer["payload"]["message"]
    ws.subscribe({})
    reset = ws.receive_type("messages/reset")
    assert reset["payload"]["total"] == 1
    ws.close()


def test_inbound_frames_are_size_limited(app_factory, live):
    """A frame over WS_MAX_MESSAGE closes that connection only; others carry on."""
    server = live(app=app_factory({"WS_MAX_MESSAGE": 1024}, start=False))
    viewer = server.app.extensions["viewer"]
    bystander = server.ws()
    bystander.subscribe({})
    bystander.receive_type("messages/reset")
    greedy = server.ws()
    greedy.send("subscribe", {"filter": {"q": "x" * 4096}, "after": None})
    with pytest.raises(ConnectionClosed):
        for _ in range(5):  # an error frame is acceptable before the close, a reset is not
            frame = greedy.client.receive(timeout=10)
            assert frame is None or orjson.loads(frame)["type"] != "messages/reset"
    viewer.ingest_text(orjson.dumps(event("still.here")).decode(), "m-2")
    assert bystander.receive_type("messages/add")["payload"]["eventType"] == "still.here"
    bystander.close()
