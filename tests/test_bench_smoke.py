"""The benchmark harness runs end to end in its tiny mode (no timings are asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())
    broken = [r for r in result["rows"] if r["notes"].startswith("error:")]
    assert not broken, (broken, done.stderr[-3000:])
    assert "| # | figure |" in done.stdout
    return result


def test_in_process_figures(tmp_path):
    result = run_bench(tmp_path, "--only", "2,5,6")
    assert {r["figure"] for r in result["rows"]} == {"2", "5", "6"}
    for row in result["rows"]:
        assert row["ours"] is not None and row["baseline"] is not None, row
    assert result["machine"]["cpus"] >= 1


@pytest.mark.slow
@pytest.mark.browser
def test_every_figure(tmp_path):
    result = run_bench(tmp_path)
    assert {r["figure"] for r in result["rows"]} == {str(n) for n in range(1, 9)}
    fanout = next(r for r in result["rows"] if r["name"].startswith("fan-out CPU"))
    assert fanout["extra"]["ours"]["delivered"] == fanout["extra"]["ours"]["expected"]


def test_unknown_figure_is_refused(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--only", "9"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "unknown figure(s) 9" in done.stderr
