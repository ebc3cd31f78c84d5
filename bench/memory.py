"""Figure 5: bytes per buffered message vs the raw text, each measured in a fresh process.

``python -m bench.memory --n N --what ours|bare`` prints one JSON line: tracemalloc's count
of live bytes after buffering ``n`` SNS-delivered ~1 KB events (``ours``: the viewer's
whole pipeline into a full buffer; ``bare``: a list of the same raw texts), and the RSS delta.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tracemalloc

from bench.common import Child, Mode, Row, rss_bytes, sqs_messages


def measure(n: int, what: str) -> dict[str, float]:
    """Live bytes held after buffering ``n`` messages, by tracemalloc and by RSS."""
    messages = sqs_messages(n, seed=17)
    raw_bytes = 0
    for m in messages:
        raw_bytes += len(json.loads(m["Body"])["Message"].encode())
    from bench.processing import new_viewer

    viewer = new_viewer(n) if what == "ours" else None
    gc.collect()
    rss0 = rss_bytes(os.getpid())
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    if viewer is not None:
        for m in messages:
            viewer.handle(m, "bench")
            m.clear()  # the SQS answer is gone once the message is stored
        held = viewer
    else:
        held = [json.loads(m.pop("Body"))["Message"] for m in messages]
    del messages
    gc.collect()
    live = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    rss = rss_bytes(os.getpid()) - rss0
    assert held is not None
    return {"n": n, "bytes": live, "per_message": live / n, "raw_per_message": raw_bytes / n,
            "rss_per_message": rss / n}


def _child(n: int, what: str) -> dict[str, float]:
    child = Child(["-m", "bench.memory", "--n", str(n), "--what", what], timeout=600,
                  ready="RESULT ")
    child.proc.wait(600)
    line = next(x for x in child.lines if x.startswith("RESULT "))
    return json.loads(line.split(" ", 1)[1])


def run(mode: Mode) -> list[Row]:
    """Bytes per buffered message with 100,000 ~1 KB events, vs the raw text size."""
    n = mode.pick(100_000, 30_000, 2_000)
    ours = _child(n, "ours")
    bare = _child(n, "bare")
    raw = ours["raw_per_message"]
    per = ours["per_message"]
    return [Row("5", f"memory per buffered message ({n:,})", per, raw, "bytes",
                "<= 3x raw text", per <= 3 * raw,
                notes=f"tracemalloc; a bare list of the raw strings holds "
                      f"{bare['per_message']:.0f} B/msg; RSS delta "
                      f"{ours['rss_per_message']:.0f} B/msg",
                extra={"ours": ours, "bare": bare})]


def main(argv: list[str] | None = None) -> None:
    """Measure in this process and print ``RESULT {json}``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--what", choices=("ours", "bare"), required=True)
    args = parser.parse_args(argv)
    print("RESULT " + json.dumps(measure(args.n, args.what)), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
