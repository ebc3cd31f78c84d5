"""``--log-format json``: every log line a JSON object a collector can read."""

from __future__ import annotations

import json
import urllib.request

from tests.conftest import aws_env, event, wait_until


def test_json_logs_from_a_real_run(viewer_process, local_sqs, topic):
    proc = viewer_process(["serve", "--port", "0", "--queue", topic.queue_name,
                           "--sqs-wait-seconds", "1", "--log-format", "json"],
                          env=aws_env(local_sqs))
    topic.publish(event("logs.json"))

    def stored_line() -> bool:
        return any("stored message" in line for line in proc.lines)

    wait_until(stored_line, message="a log line for the stored message")
    with urllib.request.urlopen(proc.url + "/health/ping", timeout=10):  # noqa: S310
        pass
    assert proc.stop() == 0
    logs = [line for line in proc.lines if not line.startswith("events-viewer ")]
    records = [json.loads(line) for line in logs if line.strip()]  # each line is JSON
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    stored = next(r for r in records if "stored message" in r["message"])
    assert stored["level"] == "INFO" and "logs.json" in stored["message"]
    assert stored["time"].endswith("Z")
