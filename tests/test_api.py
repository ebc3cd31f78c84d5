"""The REST contract, end to end: publish through a real local SNS, read through the app."""

from __future__ import annotations

import orjson

from tests.conftest import event, wait_until


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    return orjson.loads(response.get_data())


def wait_total(client, n, query=""):
    return wait_until(lambda: (r := get(client, f"/api/messages?{query}"))["total"] >= n and r,
                      message=f"{n} messages for {query!r}")


def test_sns_envelope_is_unwrapped(app_factory, topic):
    app = app_factory({"QUEUES": [f"orders={topic.queue_url}"]})
    sns_id = topic.publish(event("prison.thing.created"))
    found = wait_total(app.test_client(), 1)["messages"][0]
    assert found["messageId"] == sns_id
    assert found["source"] == "orders"
    assert found["eventType"] == "prison.thing.created"
    assert found["attributes"]["eventType"] == "prison.thing.created"
    assert found["publishedAt"].endswith("Z")
    assert found["receivedAt"].endswith("Z")
    assert orjson.loads(found["raw"]) == found["body"] == event("prison.thing.created")
    assert found["validation"] == {"status": "valid", "errors": [], "spec": None}
    assert found["seq"] == 1


def test_raw_delivery_and_type_from_body(app_factory, make_topic):
    topic = make_topic(raw=True)
    app = app_factory({"QUEUES": [topic.queue_name]})
    topic.publish(event("from.the.body"), event_type=None)
    found = wait_total(app.test_client(), 1)["messages"][0]
    assert found["eventType"] == "from.the.body"
    assert found["publishedAt"] is None
    assert found["source"] == topic.queue_name
    assert found["body"]["eventType"] == "from.the.body"


def test_attribute_type_wins_and_raw_attributes_are_strings(app_factory, make_topic):
    topic = make_topic(raw=True)
    app = app_factory({"QUEUES": [topic.queue_url]})
    topic.publish(event("body.type"), event_type="attribute.type")
    found = wait_total(app.test_client(), 1)["messages"][0]
    assert found["eventType"] == "attribute.type"
    assert found["attributes"] == {"eventType": "attribute.type"}


def test_two_queues_with_labels(app_factory, make_topic):
    a, b = make_topic(), make_topic()
    app = app_factory({"QUEUES": [f"alpha={a.queue_url}", f"beta={b.queue_name}"]})
    a.publish(event("a.happened"))
    b.publish(event("b.happened"))
    client = app.test_client()
    wait_total(client, 2)
    assert get(client, "/api/messages?source=alpha")["messages"][0]["eventType"] == "a.happened"
    assert get(client, "/api/messages?source=beta")["messages"][0]["eventType"] == "b.happened"


def test_each_status(app_factory, topic):
    app = app_factory({"QUEUES": [topic.queue_url]})
    topic.publish(event("ok.one"))
    topic.publish({"eventType": "no.version", "occurredAt": "2024-01-01T00:00:00Z"})
    topic.publish('{"eventType": "broken", ', event_type="broken")
    topic.publish("[1, 2]", event_type="array")
    client = app.test_client()
    wait_total(client, 4)
    by_type = {m["eventType"]: m["validation"] for m in get(client, "/api/messages")["messages"]}
    assert by_type["ok.one"]["status"] == "valid"
    assert by_type["no.version"]["status"] == "invalid"
    assert by_type["no.version"]["errors"][0]["pointer"] == "/version"
    assert by_type["no.version"]["errors"][0]["schema"] == "envelope"
    assert by_type["broken"]["status"] == "unparseable"
    assert by_type["array"]["status"] == "invalid"
    assert [e["pointer"] for e in by_type["array"]["errors"]] == [""]
    assert get(client, "/api/messages?status=unparseable")["total"] == 1
    assert get(client, "/api/messages?status=valid&status=unparseable")["total"] == 2


def test_date_time_format_is_checked(app_factory, topic):
    app = app_factory({"QUEUES": [topic.queue_url]})
    topic.publish(event("no.offset", occurredAt="2024-10-14T15:09:54"))
    found = wait_total(app.test_client(), 1)["messages"][0]
    assert found["validation"]["status"] == "invalid"
    error = found["validation"]["errors"][0]
    assert (error["pointer"], error["keyword"]) == ("/occurredAt", "format")


def test_paging_with_before_and_filters(app_factory, topic):
    app = app_factory({"QUEUES": [topic.queue_url]})
    for i in range(7):
        topic.publish(event("even.thing" if i % 2 == 0 else "odd.thing", version=i))
    client = app.test_client()
    wait_total(client, 7)
    page = get(client, "/api/messages?limit=3")
    assert page["total"] == 7
    assert [m["seq"] for m in page["messages"]] == [7, 6, 5]
    page = get(client, "/api/messages?limit=3&before=5")
    assert [m["seq"] for m in page["messages"]] == [4, 3, 2]
    assert page["total"] == 4
    assert get(client, "/api/messages?eventType=even.thing")["total"] == 4
    assert get(client, "/api/messages?excludeEventType=even.thing")["total"] == 3
    assert get(client, "/api/messages?q=ODD.THING")["total"] == 3
    assert get(client, "/api/messages?eventType=odd.thing&eventType=even.thing")["total"] == 7
    types = get(client, "/api/event-types")
    assert {t["eventType"]: t["count"] for t in types} == {"even.thing": 4, "odd.thing": 3}
    assert all(t["lastSeenAt"].endswith("Z") for t in types)
    assert get(client, "/api/messages/3")["seq"] == 3


def test_bad_parameters_get_clear_errors(app_factory):
    client = app_factory(start=False).test_client()
    assert "status" in get(client, "/api/messages?status=bogus", 400)["error"]
    assert "limit" in get(client, "/api/messages?limit=ten", 400)["error"]
    assert "before" in get(client, "/api/messages?before=-1", 400)["error"]
    assert "seq 99" in get(client, "/api/messages/99", 404)["error"]


def test_eviction_keeps_the_newest(app_factory, topic):
    app = app_factory({"QUEUES": [topic.queue_url], "BUFFER_SIZE": 3})
    for i in range(5):
        topic.publish(event("evict.me", version=i))
    client = app.test_client()
    viewer = app.extensions["viewer"]
    wait_until(lambda: viewer.store.last_seq == 5, message="5 stored")
    page = get(client, "/api/messages")
    assert page["total"] == 3
    assert [m["body"]["version"] for m in page["messages"]] == [4, 3, 2]
    assert get(client, "/api/event-types")[0]["count"] == 3
    get(client, "/api/messages/1", 404)


def test_redelivered_message_is_stored_once(app_factory, topic, sqs):
    app = app_factory({"QUEUES": [topic.queue_url]})
    message_id = topic.publish(event("once.only"))
    viewer = app.extensions["viewer"]
    wait_until(lambda: viewer.store.last_seq == 1, message="first copy")
    # The same SNS notification delivered again (as SQS does after a lost delete).
    envelope = orjson.loads(orjson.dumps({
        "Type": "Notification", "MessageId": message_id, "TopicArn": topic.arn,
        "Message": orjson.dumps(event("once.only")).decode(),
        "Timestamp": "2024-10-14T14:09:55.000Z",
        "MessageAttributes": {"eventType": {"Type": "String", "Value": "once.only"}},
    }))
    sqs.send_message(QueueUrl=topic.queue_url, MessageBody=orjson.dumps(envelope).decode())
    topic.publish(event("after.it"))
    wait_until(lambda: viewer.store.last_seq == 2, message="the next message")
    assert viewer.store.duplicates == 1
    assert get(app.test_client(), "/api/messages")["total"] == 2


def test_health_info_and_ping(app_factory, topic):
    app = app_factory({"QUEUES": [topic.queue_url]})
    client = app.test_client()
    assert get(client, "/health/ping") == {"status": "UP"}
    info = get(client, "/info")
    assert info["build"]["name"] == "hmpps-events-viewer"
    # the contract names (name, version) at the top too, beside the HMPPS "build" object
    assert (info["name"], info["version"]) == (info["build"]["name"], info["build"]["version"])
    report = wait_until(lambda: (r := client.get("/health")).status_code == 200 and r.json)
    queue = report["components"][f"queue-{topic.queue_name}"]["details"]
    assert queue["queueName"] == topic.queue_name
    assert queue["dlqName"] == topic.queue_name + "-dlq"
    assert queue["dlqDepth"] == 0
