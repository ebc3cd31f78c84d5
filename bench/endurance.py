"""Figure 8: the embedded default (demo mode at 20x its default rate) left running.

``python -m viewer serve --port 0 --demo-rate 30`` runs as a child; the RSS of the viewer
and of its local SQS/SNS child are sampled over time. Side by side, a bare setup (the same
local server, the same demo publisher, a bare receive + delete loop) gives the baseline
growth of the local server on its own. Growth per hour is the least-squares slope of the
samples after the buffer has filled, extrapolated.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from bench.common import Child, Mode, Row, children, rss_bytes
from viewer.sources.embedded import DemoPublisher, create_topic_and_queue, local_client
from viewer.sources.localsqs import LocalSqs

MB = 1024 * 1024
DAY_HOURS = 8


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


def run(mode: Mode) -> list[Row]:
    """RSS over time of the embedded default; growth per hour after the buffer fills."""
    seconds = mode.pick(600.0, 50.0, 6.0)
    every = mode.pick(5.0, 2.0, 1.0)
    rate = 30.0  # 20x the default 1.5 events/s
    buffer = mode.pick(10_000, 600, 100)  # quick: a smaller buffer fills within the run
    args = ["-m", "viewer", "serve", "--port", "0", "--demo-rate", str(rate),
            "--buffer-size", str(buffer), "--log-level", "WARNING", "--spec-watch", "false"]
    viewer = Child(args, timeout=120, ready=" on http://")
    bare = BareDemo(rate)
    samples: list[dict[str, Any]] = []
    try:
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            kids = children(viewer.pid)
            samples.append({"t": elapsed, "viewer": rss_bytes(viewer.pid),
                            "moto": sum(rss_bytes(k) for k in kids),
                            "bare_moto": rss_bytes(bare.pid)})
            time.sleep(every)  # the sampling interval, not a synchronisation
        published = bare.publisher.published
    finally:
        bare.stop()
        viewer.stop()
    fill = buffer / rate
    steady = [s for s in samples if s["t"] >= max(fill, seconds * 0.5)] or samples[-2:]
    ours = slope_per_hour([(s["t"], s["viewer"] + s["moto"]) for s in steady])
    ours_viewer = slope_per_hour([(s["t"], s["viewer"]) for s in steady])
    base = slope_per_hour([(s["t"], s["bare_moto"]) for s in steady])
    last = samples[-1]
    total = last["viewer"] + last["moto"]
    projected = total + DAY_HOURS * max(0.0, ours)
    return [Row("8", f"endurance: demo at {rate:g}/s for {seconds / 60:.3g} min (RSS growth)",
                ours / MB, base / MB, "MB/h", f"{DAY_HOURS} h projected < 1 GB",
                projected < 1024 * MB,
                ratio=ours / base if base > MB else None,
                notes=f"viewer {last['viewer'] / MB:.0f} MB + local SQS "
                      f"{last['moto'] / MB:.0f} MB at the end; viewer alone "
                      f"{ours_viewer / MB:+.1f} MB/h; {DAY_HOURS} h projected "
                      f"{projected / MB:.0f} MB; buffer {buffer:,} (full after "
                      f"{fill:.0f} s); bare setup published {published}",
                extra={"samples": samples})]
