"""Shared parts of the benchmark: sizes per mode, result rows, synthetic events, processes."""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import IO, Any

import orjson

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOPIC_ARN = "arn:aws:sns:eu-west-2:000000000000:bench"


@dataclass(frozen=True)
class Mode:
    """How big each figure runs: ``full`` (make bench), ``quick`` (<5 min) or ``smoke``."""

    name: str

    def pick(self, full: Any, quick: Any, smoke: Any) -> Any:
        """The value for this mode."""
        return {"full": full, "quick": quick, "smoke": smoke}[self.name]


@dataclass
class Row:
    """One line of the table: ours against a baseline measured in the same run."""

    figure: str
    name: str
    ours: float | None
    baseline: float | None
    unit: str
    target: str
    passed: bool | None
    ratio: float | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.ours is not None and self.baseline:
            self.ratio = self.ours / self.baseline

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data."""
        return asdict(self)


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def median(values: Sequence[float]) -> float:
    """The median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


# -- synthetic events ---------------------------------------------------------------------

EVENT_TYPES = tuple(f"bench-service.thing-{i}.changed" for i in range(10))


def spec_schema(event_type: str) -> dict[str, Any]:
    """A spec payload schema in the registry's style, for one bench event type."""
    return {
        "type": "object",
        "properties": {
            "eventType": {"type": "string", "const": event_type},
            "version": {"type": "integer", "minimum": 1},
            "occurredAt": {"type": "string", "format": "date-time"},
            "description": {"type": "string", "maxLength": 2000},
            "detailUrl": {"type": "string"},
            "additionalInformation": {
                "type": "object",
                "properties": {
                    "nomsNumber": {"type": "string", "pattern": "^[A-Z][0-9]{4}[A-Z]{2}$"},
                    "prisonId": {"type": "string", "minLength": 3, "maxLength": 3},
                    "reason": {"type": "string", "enum": ["ADMISSION", "TRANSFER", "RETURN"]},
                    "sentAt": {"type": "number"},
                    "notes": {"type": "string"},
                },
                "required": ["nomsNumber", "prisonId", "reason"],
            },
            "personReference": {"type": "object"},
        },
        "required": ["eventType", "version", "occurredAt", "additionalInformation"],
    }


def write_specs(root: str) -> str:
    """The bench specs as registry files (``spec/schemas/bench-service/*.yaml``) under root."""
    folder = os.path.join(root, "spec", "schemas", "bench-service")
    os.makedirs(folder, exist_ok=True)
    for event_type in EVENT_TYPES:
        payload = spec_schema(event_type)
        payload["properties"]["eventType"]["example"] = event_type
        spec = {"name": event_type, "title": event_type, "contentType": "application/json",
                "payload": payload}
        path = os.path.join(folder, event_type.split(".", 1)[1] + ".yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(orjson.dumps(spec, option=orjson.OPT_INDENT_2).decode())  # JSON is YAML
    return root


_SPEC_DIR: str | None = None


def spec_dir() -> str:
    """A temporary directory holding the bench specs (written once per process)."""
    global _SPEC_DIR
    if _SPEC_DIR is None:
        _SPEC_DIR = write_specs(tempfile.mkdtemp(prefix="bench-specs-"))
    return _SPEC_DIR


def use_bench_specs(viewer: Any) -> None:
    """Load the bench specs into a Viewer's own registry, as ``--spec-dir`` would."""
    viewer.registry.dirs = [spec_dir()]
    viewer.registry.reload()
    assert viewer.registry.lookup(EVENT_TYPES[0]) is not None, "bench specs did not load"


def event_body(rng: random.Random, event_type: str | None = None, size: int = 1000,
               invalid: bool = False, sent_at: float | None = None) -> dict[str, Any]:
    """One event of about ``size`` bytes; ``invalid`` breaks it against its spec."""
    event_type = event_type or rng.choice(EVENT_TYPES)
    noms = (rng.choice("ABCDEFGH") + f"{rng.randrange(10_000):04d}"
            + rng.choice("ABCDEFGH") + rng.choice("ABCDEFGH"))
    body: dict[str, Any] = {
        "eventType": event_type,
        "version": 1,
        "occurredAt": "2024-10-14T15:09:54.123+01:00",
        "description": "A bench thing changed for the prisoner in the bench service",
        "detailUrl": f"https://bench.hmpps.service.justice.gov.uk/things/{uuid.UUID(int=rng.getrandbits(128))}",
        "additionalInformation": {
            "nomsNumber": noms, "prisonId": rng.choice(["MDI", "LEI", "BXI"]),
            "reason": rng.choice(["ADMISSION", "TRANSFER", "RETURN"]),
            "sentAt": sent_at if sent_at is not None else 0.0, "notes": "",
        },
        "personReference": {"identifiers": [{"type": "NOMS", "value": noms}]},
    }
    if invalid:
        body["additionalInformation"]["reason"] = "UNHEARD_OF"
        body["version"] = "one"
    pad = size - len(orjson.dumps(body))
    if pad > 0:
        words = ("lorem", "ipsum", "dolor", "sit", "amet", "custody", "licence", "court")
        text = " ".join(rng.choice(words) for _ in range(pad // 5 + 1))
        body["additionalInformation"]["notes"] = text[:pad]
    return body


def event_texts(n: int, seed: int = 7, size: int = 1000, invalid_share: float = 0.05
                ) -> list[tuple[str, str]]:
    """``n`` (eventType, JSON text) pairs of about ``size`` bytes, some invalid."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        body = event_body(rng, size=size, invalid=rng.random() < invalid_share)
        out.append((body["eventType"], orjson.dumps(body).decode()))
    return out


def sns_envelope(text: str, event_type: str, message_id: str | None = None) -> str:
    """The SNS notification an SQS queue holds for ``text`` (envelope delivery)."""
    return orjson.dumps({
        "Type": "Notification",
        "MessageId": message_id or str(uuid.uuid4()),
        "TopicArn": TOPIC_ARN,
        "Message": text,
        "Timestamp": "2024-10-14T14:09:54.200Z",
        "SignatureVersion": "1",
        "Signature": "c2lnbmF0dXJl" * 20,
        "SigningCertURL": "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-x.pem",
        "UnsubscribeURL": "https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe",
        "MessageAttributes": {"eventType": {"Type": "String", "Value": event_type}},
    }).decode()


def sqs_messages(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` SQS ``ReceiveMessage`` entries holding SNS envelopes, as boto3 returns them."""
    out = []
    for i, (event_type, text) in enumerate(event_texts(n, seed)):
        out.append({"MessageId": f"sqs-{seed}-{i}", "ReceiptHandle": f"r{i}",
                    "MD5OfBody": "", "Body": sns_envelope(text, event_type, f"m-{seed}-{i}"),
                    "Attributes": {}})
    return out


# -- processes ----------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc."""
    with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * _PAGE


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            found.append(int(name))
    return found


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Child:
    """A Python child process that prints ``READY <url>`` once it serves; stopped on exit."""

    def __init__(self, args: list[str], timeout: float = 60.0, ready: str = "READY ") -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=ROOT)
        self.proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
        self.url: str | None = None
        self.lines: list[str] = []
        self._ready = threading.Event()
        self._marker = ready
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        if not self._ready.wait(timeout) or self.url is None:
            self.stop()
            raise RuntimeError(f"{args} did not start:\n" + "".join(self.lines[-40:]))

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            if self.url is None and self._marker in line:
                rest = line.split(self._marker, 1)[1].split()[0].rstrip("/")
                # A marker such as " on http://" ends with the scheme: keep it in the URL.
                scheme = self._marker.split()[-1] if self._marker.endswith("://") else ""
                self.url = scheme + rest
                self._ready.set()
            if len(self.lines) < 2000:
                self.lines.append(line)
        self._ready.set()

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.proc.pid

    def stop(self) -> None:
        """Terminate (then kill) the child."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def timed(fn: Any, *args: Any) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start
