"""viewer.wsgi: one viewer per process, also under the werkzeug reloader."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import aws_env, event, wait_until

pytestmark = pytest.mark.slow


def fetch(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return json.load(response)
    except OSError:
        return None


def test_under_the_reloader_only_the_serving_child_consumes(local_sqs, topic, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, **aws_env(local_sqs), VIEWER_QUEUES=topic.queue_url,
               VIEWER_SQS_WAIT_SECONDS="1", PYTHONUNBUFFERED="1")
    flask = Path(sys.executable).with_name("flask")
    proc = subprocess.Popen([str(flask), "--app", "viewer.wsgi", "run", "--debug", "--port",
                             str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: fetch(url + "/health/ping") or proc.poll() is not None, timeout=60,
                   message="flask run to answer")
        assert proc.poll() is None, "".join(lines)
        topic.publish(event("reloader.check"))
        wait_until(lambda: (fetch(url + "/api/messages") or {}).get("messages"),
                   message="the message through the reloader's child")
        started = [int(m.group(1)) for ln in lines
                   if (m := re.search(r"viewer started in process (\d+)", ln))]
        assert len(started) == 1, "".join(lines)
        assert started[0] != proc.pid  # the watching parent never starts a consumer
        assert any(f"reloader parent {proc.pid}" in ln for ln in lines), "".join(lines)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reader.join(5)
        proc.stdout.close()
