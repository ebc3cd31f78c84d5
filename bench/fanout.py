"""Figure 4: fan-out to many websocket clients; server CPU per frame vs a bare broadcast."""

from __future__ import annotations

import time
import urllib.request
from typing import Any

from bench.common import Child, Mode, Row, cpu_seconds, percentile
from bench.wsclients import Clients, summary


def drive(server: Child, clients: int, rate: float, seconds: float) -> dict[str, Any]:
    """Subscribe ``clients``, feed ``rate``/s for ``seconds``; latency and CPU per frame."""
    assert server.url is not None
    group = Clients(server.url, clients)
    try:
        group.wait_subscribed()
        expected = int(rate * seconds)
        cpu0 = cpu_seconds(server.pid)
        start = time.monotonic()
        urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - loopback only
            f"{server.url}/bench/feed?rate={rate}&seconds={seconds}", method="POST")).close()
        complete = group.wait_added(expected, timeout=seconds + 30)
        wall = time.monotonic() - start
        cpu = cpu_seconds(server.pid) - cpu0
    finally:
        stats = group.stop()
    found = summary(stats)
    delivered = sum(found["added"])
    return {"cpu": cpu, "wall": wall, "delivered": delivered, "expected": expected * clients,
            "complete": complete, "behind": found["behind"],
            "p50": percentile(found["latencies"], 50), "p99": percentile(found["latencies"], 99),
            "cpu_per_frame_us": cpu / max(1, delivered) * 1e6}


def run(mode: Mode) -> list[Row]:
    """50 clients at 200 messages/s: every client gets every message; p99; CPU per frame."""
    clients = mode.pick(50, 50, 3)
    rate = mode.pick(200.0, 200.0, 20.0)
    seconds = mode.pick(30.0, 10.0, 1.0)
    results = {}
    for name, args in (("bare", ["-m", "bench.bare_broadcast"]),
                       ("ours", ["-m", "bench.viewer_server"])):
        server = Child(args)
        try:
            results[name] = drive(server, clients, rate, seconds)
        finally:
            server.stop()
    ours, bare = results["ours"], results["bare"]
    every = ours["delivered"] == ours["expected"] and not ours["behind"]
    return [
        Row("4", f"fan-out CPU per frame ({clients} clients, {rate:g}/s)",
            ours["cpu_per_frame_us"], bare["cpu_per_frame_us"], "us CPU/frame",
            "<= 1.5x bare", ours["cpu_per_frame_us"] <= 1.5 * bare["cpu_per_frame_us"],
            notes=f"{ours['delivered']}/{ours['expected']} frames delivered"
                  f"{'' if every else ' (NOT every message to every client)'}; "
                  f"server CPU {ours['cpu']:.1f}s vs bare {bare['cpu']:.1f}s",
            extra={"ours": ours, "bare": bare}),
        Row("4", "fan-out p99 latency", ours["p99"] * 1000, bare["p99"] * 1000, "ms",
            "every client gets every message", every,
            notes=f"p50 {ours['p50'] * 1000:.1f} ms vs bare {bare['p50'] * 1000:.1f} ms"),
    ]
