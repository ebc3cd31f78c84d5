"""``python -m bench [--quick|--smoke] [--only 1,2,...] [--out FILE]``: run every figure.

Each figure measures ours and a baseline side by side in the same run; the table is printed
and written as JSON (``bench/results.json`` unless ``--out`` says otherwise).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.common import ROOT, Mode, Row

FIGURES: dict[str, tuple[str, str]] = {
    "1": ("ingest", "ingest from local SQS"),
    "2": ("processing", "processing cost per message"),
    "3": ("latency", "latency publish -> websocket"),
    "4": ("fanout", "fan-out to websocket clients"),
    "5": ("memory", "memory per buffered message"),
    "6": ("queries", "queries over a full buffer"),
    "7": ("browser", "the page in headless Chromium"),
    "8": ("endurance", "embedded default endurance"),
}
USES_LOCAL_SQS = {"1", "3"}


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh
                          if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(), "commit": commit}


def fmt(value: float | None) -> str:
    """A number for the table, with sensible precision."""
    if value is None or value != value:  # None or NaN
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| # | figure | ours | baseline | unit | ratio | target | pass |",
             "|---|---|---:|---:|---|---:|---|---|"]
    for r in rows:
        verdict = {True: "pass", False: "FAIL", None: "-"}[r.passed]
        lines.append(f"| {r.figure} | {r.name} | {fmt(r.ours)} | {fmt(r.baseline)} | {r.unit} "
                     f"| {fmt(r.ratio)}x | {r.target} | {verdict} |")
    return "\n".join(lines)


def run_figure(number: str, mode: Mode, local: Any) -> list[Row]:
    """One figure's rows; a figure that breaks gives a failing row saying why."""
    module_name, title = FIGURES[number]
    module = __import__(f"bench.{module_name}", fromlist=["run"])
    runner: Callable[..., list[Row]] = module.run
    try:
        if number in USES_LOCAL_SQS:
            return runner(mode, local)
        return runner(mode)
    except Exception as exc:
        traceback.print_exc()
        return [Row(number, title, None, None, "", "runs", False,
                    notes=f"error: {type(exc).__name__}: {exc}"[:300])]
    finally:
        gc.collect()


def main(argv: list[str] | None = None) -> int:
    """Run the figures, print the table, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller runs (under 5 minutes)")
    size.add_argument("--smoke", action="store_true", help="tiny runs: checks the harness only")
    parser.add_argument("--only", default="", help="comma-separated figure numbers, e.g. 2,6")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results.json"))
    args = parser.parse_args(argv)
    mode = Mode("smoke" if args.smoke else "quick" if args.quick else "full")
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or list(FIGURES)
    unknown = [n for n in chosen if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from 1-8")
    local = None
    if USES_LOCAL_SQS & set(chosen):
        from viewer.sources.localsqs import LocalSqs

        local = LocalSqs()
        local.start()
    rows: list[Row] = []
    timings: dict[str, float] = {}
    started = time.monotonic()
    try:
        for number in chosen:
            print(f"figure {number}: {FIGURES[number][1]} ...", file=sys.stderr, flush=True)
            begin = time.monotonic()
            found = run_figure(number, mode, local)
            rows.extend(found)
            timings[number] = round(time.monotonic() - begin, 1)
            print("\n".join(table(found).splitlines()[2:]), file=sys.stderr, flush=True)
    finally:
        if local is not None:
            local.stop()
    result = {"mode": mode.name, "at": datetime.now(UTC).isoformat(timespec="seconds"),
              "seconds": round(time.monotonic() - started, 1), "figureSeconds": timings,
              "machine": machine(), "rows": [r.as_dict() for r in rows]}
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1, default=str)
    print(table(rows))
    print(f"\n{mode.name} run, {result['seconds']} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
