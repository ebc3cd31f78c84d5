"""Figure 2: processing cost per message in-process, and re-validating a full buffer.

The per-message cost is measured in several fresh processes, each timing both sides
alternately (best of its rounds), and the median process is reported: a process's memory
layout (address randomisation) moves the viewer's side, which keeps 20,000 messages and
their indexes, by up to +-10% from one process to the next and the bare side, which keeps
nothing, much less. pyperf runs its benchmarks in many processes for the same reason.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import jsonschema_rs
import orjson

from bench.common import (
    EVENT_TYPES,
    ROOT,
    Mode,
    Row,
    spec_schema,
    sqs_messages,
    use_bench_specs,
)
from viewer.core import Viewer
from viewer.settings import resolve
from viewer.sources.sqs import BATCH
from viewer.validation import envelope_schema


def new_viewer(buffer_size: int) -> Viewer:
    """A viewer that is never started (no consumers), with the bench specs."""
    viewer = Viewer(resolve({"BUFFER_SIZE": buffer_size, "QUEUES": ["bench"],
                             "SPEC_WATCH": False}, environ={}))
    use_bench_specs(viewer)
    return viewer


def bare_validators() -> tuple[Any, dict[str, Any]]:
    """The envelope and per-type spec validators, compiled by jsonschema-rs directly."""
    envelope = jsonschema_rs.Draft7Validator(envelope_schema(), validate_formats=True)
    specs = {t: jsonschema_rs.Draft7Validator(spec_schema(t), validate_formats=True)
             for t in EVENT_TYPES}
    return envelope, specs


def bare_process(messages: list[dict[str, Any]], envelope: Any, specs: dict[str, Any]) -> int:
    """The bare cost: orjson parses envelope and body, jsonschema-rs validates both."""
    invalid = 0
    for m in messages:
        body = orjson.loads(orjson.loads(m["Body"])["Message"])
        spec = specs.get(body.get("eventType"))
        for validator in (envelope, spec):
            if validator is not None and not validator.is_valid(body):
                invalid += len(list(validator.iter_errors(body)))
    return invalid


def ours_process(messages: list[dict[str, Any]], viewer: Viewer | None = None) -> Viewer:
    """The viewer's whole pipeline: unwrap, parse, judge, identify, store, index.

    Fed as the SQS consumer feeds it: ten at a time, as one receive delivers them.
    """
    viewer = viewer or new_viewer(len(messages) + 1)
    handle = viewer.handle_batch
    for i in range(0, len(messages), BATCH):
        handle(messages[i:i + BATCH], "bench")
    return viewer


def _time(fn: Any, *args: Any) -> float:
    gc.collect()
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def per_message(n: int, rounds: int) -> dict[str, float]:
    """Seconds for ``n`` messages, ours and bare, each the best of ``rounds`` (alternating,
    so drift on a shared machine hits both alike)."""
    messages = sqs_messages(n)
    envelope, specs = bare_validators()
    bare = ours = float("inf")
    for _ in range(rounds):
        bare = min(bare, _time(bare_process, messages, envelope, specs))
        # A viewer made (specs loaded) before the clock starts: start-up is not per message.
        ours = min(ours, _time(ours_process, messages, new_viewer(n + 1)))
    return {"ours": ours, "bare": bare}


def in_processes(n: int, rounds: int, processes: int) -> list[dict[str, float]]:
    """``per_message`` in fresh processes, one after the other."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = []
    for _ in range(processes):
        done = subprocess.run([sys.executable, "-m", "bench.processing", str(n), str(rounds)],
                              capture_output=True, text=True, env=env, cwd=ROOT, check=True,
                              timeout=600)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def run(mode: Mode) -> list[Row]:
    """Per-message cost vs bare orjson + jsonschema-rs, and a 100,000-message revalidation."""
    n = mode.pick(20_000, 5_000, 300)
    rounds = mode.pick(7, 5, 1)
    processes = mode.pick(5, 3, 1)
    runs = sorted(in_processes(n, rounds, processes), key=lambda r: r["ours"] / r["bare"])
    middle = runs[len(runs) // 2]
    ours, bare = middle["ours"], middle["bare"]
    ratios = ", ".join(f"{r['ours'] / r['bare']:.2f}" for r in runs)
    rows = [Row("2", "processing cost per message", ours / n * 1e6, bare / n * 1e6, "us/msg",
                "<= 3x bare", ours / bare <= 3.0,
                notes=f"{n} SNS envelopes of ~1 KB, 5% invalid, in batches of {BATCH}; "
                      f"best of {rounds} in each of {processes} processes, the median "
                      f"process shown (ratios {ratios}); mean ratio "
                      f"{statistics.fmean(r['ours'] / r['bare'] for r in runs):.2f}",
                extra={"runs": runs})]

    size = mode.pick(100_000, 100_000, 1_000)
    envelope, specs = bare_validators()
    buffered = sqs_messages(size, seed=11)
    viewer = ours_process(buffered)
    del buffered
    viewer.registry.reload()  # a spec reload (same files: the verdicts stay the same)
    gc.collect()
    start = time.perf_counter()
    changed = viewer.store.revalidate(viewer.rejudge)
    took = time.perf_counter() - start
    raws = [m.raw for m in reversed(viewer.store._all)]
    start = time.perf_counter()
    for raw in raws:
        body = orjson.loads(raw)
        envelope.is_valid(body)
        spec = specs.get(body.get("eventType"))
        if spec is not None:
            spec.is_valid(body)
    bare_reval = time.perf_counter() - start
    rows.append(Row("2", f"re-validate {size:,} buffered", took, bare_reval, "s",
                    "< 2 s", took < 2.0,
                    notes=f"store.revalidate(viewer.rejudge) after a spec reload; "
                          f"{len(changed)} changed"))
    return rows


if __name__ == "__main__":  # one process of ``in_processes``: python -m bench.processing N ROUNDS
    print(json.dumps(per_message(int(sys.argv[1]), int(sys.argv[2]))))
