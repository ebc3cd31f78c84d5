"""Figure 8: the embedded default (demo mode at 20x its default rate) left running.

``python -m viewer serve --port 0 --demo-rate 30`` runs as a child; the RSS of the viewer
and of its local SQS/SNS child are sampled over time. Side by side, a bare setup (the same
local server, the same demo publisher, a bare receive + delete loop) gives the baseline
growth of the local server on its own. Growth per hour is the least-squares slope of the
samples taken once the viewer's memory is full (the buffer, then the ids it remembers for
dedupe: twice the buffer stored, as the viewer counts), extrapolated.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

from bench.common import Child, Mode, Row, children, rss_bytes
from viewer.sources.embedded import DemoPublisher, create_topic_and_queue, local_client
from viewer.sources.localsqs import LocalSqs

MB = 1024 * 1024
DAY_HOURS = 8
MIN_WINDOW = 300.0  # seconds of samples after the memory is full, for a verdict


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, bytes) samples, in bytes per hour."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_v = sum(v for _, v in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in samples) / var * 3600


class BareDemo:
    """The local server, the demo publisher at the same rate and a bare consumer."""

    def __init__(self, rate: float) -> None:
        self.local = LocalSqs()
        url = self.local.start()
        sns, self.sqs = local_client("sns", url), local_client("sqs", url)
        topic, self.queue = create_topic_and_queue(sns, self.sqs)
        self.publisher = DemoPublisher(sns, topic, rate)
        self.publisher.start()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True, name="bare-demo")
        self._thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=1).get("Messages", [])
            if messages:
                self.sqs.delete_message_batch(QueueUrl=self.queue, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)])

    @property
    def pid(self) -> int:
        """The bare local server's process id."""
        assert self.local._proc is not None
        return self.local._proc.pid

    def stop(self) -> None:
        """Stop publishing, draining and serving."""
        self.publisher.stop()
        self._stop.set()
        self._thread.join(5)
        self.local.stop()


def stored(url: str) -> int:
    """The viewer's last seq (messages stored so far), from ``/api/stats``."""
    with urllib.request.urlopen(url + "/api/stats", timeout=10) as response:  # noqa: S310
        return int(json.loads(response.read())["lastSeq"])


def run(mode: Mode) -> list[Row]:
    """RSS over time of the embedded default; growth per hour once its memory is full.

    The viewer's memory fills for a while: the buffer (``buffer`` messages), then the ids
    it remembers for dedupe (twice the buffer). The run goes on until the viewer itself has
    counted twice the buffer stored, then ``settle`` seconds more (at most ``cap`` in all),
    and the slope is taken over those last samples only: a slow machine (fewer messages per
    second than asked) runs longer rather than putting fill-up in the slope.
    """
    settle = mode.pick(900.0, 15.0, 4.0)  # how long to sample once the memory is full
    cap = mode.pick(2700.0, 40.0, 10.0)  # but never longer than this in all
    every = mode.pick(5.0, 2.0, 1.0)
    rate = 30.0  # 20x the default 1.5 events/s
    buffer = mode.pick(10_000, 200, 30)  # quick and smoke: full within the run
    full_at = 2 * buffer  # the buffer, then the dedupe ids (twice the buffer)
    args = ["-m", "viewer", "serve", "--port", "0", "--demo-rate", str(rate),
            "--buffer-size", str(buffer), "--log-level", "WARNING", "--spec-watch", "false"]
    viewer = Child(args, timeout=120, ready=" on http://")
    assert viewer.url is not None
    bare = BareDemo(rate)
    samples: list[dict[str, Any]] = []
    try:
        start = time.monotonic()
        full_since: float | None = None
        while (elapsed := time.monotonic() - start) < cap and (
                full_since is None or elapsed - full_since < settle):
            kids = children(viewer.pid)
            samples.append({"t": elapsed, "seq": stored(viewer.url),
                            "viewer": rss_bytes(viewer.pid),
                            "moto": sum(rss_bytes(k) for k in kids),
                            "bare_moto": rss_bytes(bare.pid)})
            if full_since is None and samples[-1]["seq"] >= full_at:
                full_since = elapsed
            time.sleep(every)  # the sampling interval, not a synchronisation
        published = bare.publisher.published
    finally:
        bare.stop()
        viewer.stop()
    steady = [s for s in samples if s["seq"] >= full_at]
    # A slope over less than a few minutes is mostly the local server warming up and its
    # sawtooth (it trims what moto keeps once about 1,000 messages have piled up): no
    # verdict then (quick and smoke runs).
    settled = len(steady) >= 3 and steady[-1]["t"] - steady[0]["t"] >= MIN_WINDOW
    if len(steady) < 3:  # never full: the second half, said so in the notes
        steady = samples[len(samples) // 2:] or samples
    span = steady[-1]["t"] - steady[0]["t"]
    ours = slope_per_hour([(s["t"], s["viewer"] + s["moto"]) for s in steady])
    ours_viewer = slope_per_hour([(s["t"], s["viewer"]) for s in steady])
    base = slope_per_hour([(s["t"], s["bare_moto"]) for s in steady])
    first, last = samples[0], samples[-1]
    achieved = (last["seq"] - first["seq"]) / max(1e-9, last["t"] - first["t"])
    total = last["viewer"] + last["moto"]
    projected = total + DAY_HOURS * max(0.0, ours)
    if settled:
        window = (f"slope over the last {span / 60:.3g} min, after {full_at:,} stored "
                  f"(at {steady[0]['t']:.0f} s)")
    elif last["seq"] >= full_at:
        window = f"no verdict: only {span:.0f} s after {full_at:,} stored"
    else:
        window = (f"no verdict: {last['seq']:,} stored < {full_at:,}; slope over the second "
                  f"half, fill-up included")
    return [Row("8", f"endurance: demo at {rate:g}/s, {span / 60:.3g} min once full (RSS growth)",
                ours / MB, base / MB, "MB/h", f"{DAY_HOURS} h projected < 1 GB",
                projected < 1024 * MB if settled else None,
                ratio=ours / base if base > MB else None,
                notes=f"viewer {last['viewer'] / MB:.0f} MB + local SQS "
                      f"{last['moto'] / MB:.0f} MB at the end (viewer "
                      f"{first['viewer'] / MB:.0f} MB at the start); viewer alone "
                      f"{ours_viewer / MB:+.1f} MB/h; {window}; {DAY_HOURS} h projected "
                      f"{projected / MB:.0f} MB; buffer {buffer:,}; stored {last['seq']:,} "
                      f"at {achieved:.1f}/s; bare setup published {published}",
                extra={"samples": samples, "steady_from": steady[0]["t"],
                       "settled": settled})]
