"""The wheel holds its resources, and the Docker image's command serves from it.

No Docker engine runs here, so this checks what can be checked: the wheel built from the
checkout, installed with its runtime dependencies only into a fresh virtual environment,
runs the Dockerfile's CMD (gunicorn, threaded worker) with the Dockerfile's ENV, answers
/health and the HEALTHCHECK command, consumes a real queue, logs JSON, and stops on SIGTERM.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import aws_env, event, wait_until

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def dockerfile() -> tuple[list[str], dict[str, str], list[str]]:
    """The runtime stage's CMD, ENV and HEALTHCHECK command, read from the Dockerfile."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    final = text[text.rindex("\nFROM "):]
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", final, re.M).group(1))
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV (.*)$", final, re.M):
        for pair in shlex.split(line):
            key, _, value = pair.partition("=")
            env[key] = value
    check = json.loads(re.search(r"HEALTHCHECK .*?CMD (\[.*\])$", final, re.M).group(1))
    return cmd, env, check


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the wheel and its runtime dependencies (no dev or embedded extras)."""
    tmp = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                            "--outdir", str(tmp / "dist"), str(ROOT)], capture_output=True,
                           text=True)
    assert built.returncode == 0, f"wheel build failed:\n{built.stdout}\n{built.stderr}"
    wheel = next((tmp / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("viewer/templates/index.html", "viewer/static/app.js",
                   "viewer/schema/hmpps-domain-event.json", "viewer/wsgi.py"):
        assert needed in names, needed
    assert not any(n.startswith("tests/") for n in names)
    subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
    pip = subprocess.run([str(tmp / "venv/bin/pip"), "install", "--quiet", str(wheel)],
                         capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return tmp / "venv"


def test_resources_are_found_inside_the_installed_package(installed, tmp_path):
    code = ("from viewer.resources import resource_dir; import viewer; "
            "print(resource_dir('templates'), resource_dir('static'), resource_dir('schema'), "
            "viewer.__file__)")
    out = subprocess.run([str(installed / "bin/python"), "-c", code], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.split()
    site = str(installed)
    assert all(p.startswith(site) for p in out), out
    # Demo-only dependencies stay out of the image.
    assert subprocess.run([str(installed / "bin/python"), "-c", "import moto"],
                          capture_output=True).returncode != 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)
    except OSError:
        return 0, {}


def test_the_image_command_serves_from_the_wheel(installed, local_sqs, topic, tmp_path):
    cmd, image_env, check = dockerfile()
    assert cmd[0] == "gunicorn" and "gthread" in cmd and cmd[-1] == "viewer.wsgi:app"
    assert image_env["PYTHONUNBUFFERED"] == "1"
    port = free_port()
    cmd = [str(installed / "bin" / cmd[0]),
           *[f"127.0.0.1:{port}" if a == "0.0.0.0:8080" else a for a in cmd[1:]]]
    env = {"PATH": f"{installed / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path),
           **image_env, **aws_env(local_sqs), "VIEWER_QUEUES": f"events={topic.queue_name}",
           "VIEWER_SQS_WAIT_SECONDS": "1"}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until(lambda: get(url + "/health")[0] == 200 or proc.poll() is not None,
                       timeout=60, message="gunicorn to answer /health")
        except AssertionError:
            raise AssertionError("".join(lines)) from None
        assert proc.poll() is None, "".join(lines)
        status, report = get(url + "/health")
        assert report["components"]["queue-events"]["status"] == "UP"
        topic.publish(event("wheel.check"))
        found = wait_until(lambda: get(url + "/api/messages")[1].get("messages"),
                           message="a message through the installed viewer")
        assert found[0]["eventType"] == "wheel.check"
        index = urllib.request.urlopen(url + "/", timeout=5).read().decode()  # noqa: S310
        assert "<html" in index.lower()
        with urllib.request.urlopen(url + "/static/app.js", timeout=5) as js:  # noqa: S310
            assert js.status == 200 and js.read()
        healthcheck = [str(installed / "bin/python"), *check[1:]]
        healthcheck[-1] = healthcheck[-1].replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        assert subprocess.run(healthcheck, env=env, timeout=30).returncode == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            code = proc.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError("gunicorn did not stop on SIGTERM:\n" + "".join(lines)) \
                from None
        reader.join(5)
        proc.stdout.close()
    assert code == 0, "".join(lines)
    started = [ln for ln in lines if "viewer started in process" in ln]
    assert len(started) == 1, "".join(lines)
    # VIEWER_LOG_FORMAT=json from the image: the worker's lines are JSON objects.
    record = json.loads(started[0])
    assert record["logger"] == "viewer.wsgi" and record["level"] == "INFO"
