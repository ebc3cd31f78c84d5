"""The command line: serve against a real queue, the embedded default, help and errors."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

from tests.conftest import aws_env, event, wait_until
from viewer import settings


def fetch(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


def test_serve_watches_a_queue_through_the_standard_chain(viewer_process, local_sqs, topic):
    proc = viewer_process(["serve", "--port", "0", "--queue", f"mine={topic.queue_name}",
                           "--sqs-wait-seconds", "1"], env=aws_env(local_sqs))
    topic.publish(event("cli.test"))
    found = wait_until(lambda: fetch(proc.url + "/api/messages")["messages"],
                       message="the message through the CLI's viewer")
    assert found[0]["eventType"] == "cli.test"
    assert found[0]["source"] == "mine"
    assert proc.stop() == 0


def test_no_queue_runs_the_embedded_demo(viewer_process):
    proc = viewer_process(["--port", "0", "--demo-rate", "20"])
    assert "embedded" in proc.output
    found = wait_until(lambda: fetch(proc.url + "/api/messages?limit=5")["total"] >= 3,
                       timeout=30, message="demo traffic")
    assert found
    types = fetch(proc.url + "/api/event-types")
    assert all(t["eventType"] for t in types)
    assert proc.stop() == 0


def test_environment_variables_set_flags(viewer_process, local_sqs, topic):
    env = dict(aws_env(local_sqs), VIEWER_QUEUES=topic.queue_url, VIEWER_PORT="0",
               VIEWER_BUFFER_SIZE="2", VIEWER_SQS_WAIT_SECONDS="1")
    proc = viewer_process([], env=env)
    assert fetch(proc.url + "/api/config")["bufferSize"] == 2
    assert proc.stop() == 0


def test_help_names_every_flag_and_variable():
    out = subprocess.run([sys.executable, "-m", "viewer", "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for s in settings.SETTINGS:
        assert s.flag in out
        assert s.env in out.replace("\n", " ").replace("  ", "")


def test_a_bad_setting_is_a_clear_error():
    result = subprocess.run([sys.executable, "-m", "viewer", "serve"], capture_output=True,
                            text=True, env={"VIEWER_BUFFER_SIZE": "lots", "PATH": ""})
    assert result.returncode == 2
    assert "VIEWER_BUFFER_SIZE" in result.stderr
