"""Figure 7: the page in headless Chromium with a 10,000-message backlog and 200 messages/s.

The same harness drives the viewer's page and the bare broadcast server's naive page (every
frame a table row, 10,000 rows kept): time to the first rendered row, long tasks (the
PerformanceObserver ``longtask`` entries) and dropped animation frames while messages arrive.
The ``longtask`` API only sees tasks over 50 ms, so the steady state is also traced (the
``toplevel`` category, as the DevTools performance panel records it) for the true longest
task of the page's main thread, however short.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from bench.common import Child, Mode, Row

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

PROBE = """
window.__bench = {first: null, rows: 0, longtasks: [], frames: []};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__bench.longtasks.push([e.startTime, e.duration]);
}).observe({type: "longtask", buffered: true});
const seen = new MutationObserver(() => {
  if (window.__bench.first === null && document.querySelector("[data-seq]")) {
    window.__bench.first = performance.now();
    seen.disconnect();
  }
});
seen.observe(document, {childList: true, subtree: true});
const tick = (t) => { window.__bench.frames.push(t); requestAnimationFrame(tick); };
requestAnimationFrame(tick);
"""

FRAME_MS = 1000 / 60
TRACE_CATEGORIES = ["toplevel"]
TASK_EVENTS = {"ThreadControllerImpl::RunTask", "RunTask"}


def main_thread_tasks(trace: bytes) -> list[float]:
    """The duration in ms of every task a renderer's main thread ran, from a Chrome trace."""
    events = json.loads(trace)
    events = events.get("traceEvents", []) if isinstance(events, dict) else events
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("ph") == "M" and e.get("name") == "thread_name"
            and e.get("args", {}).get("name") == "CrRendererMain"}
    return [e["dur"] / 1000 for e in events
            if e.get("ph") == "X" and e.get("name") in TASK_EVENTS and "dur" in e
            and (e.get("pid"), e.get("tid")) in main]


def measure(server: Child, rate: float, seconds: float, browser: Any) -> dict[str, Any]:
    """Load the page, wait for its first rows, then time the steady state under traffic."""
    # bypass_csp: the probe polls with an evaluated expression, which the page's CSP forbids.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.add_init_script(PROBE)
    try:
        page.goto(server.url + "/")
        page.wait_for_function("window.__bench && window.__bench.first !== null",
                               timeout=30_000)
        first = page.evaluate("window.__bench.first")
        page.wait_for_timeout(1000)  # let the backlog settle before the steady state
        browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
        steady_start = page.evaluate("performance.now()")
        urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - loopback only
            f"{server.url}/bench/feed?rate={rate}&seconds={seconds}", method="POST")).close()
        page.wait_for_timeout(seconds * 1000 + 500)
        steady_end = page.evaluate("performance.now()")
        tasks = main_thread_tasks(browser.stop_tracing())
        data = page.evaluate("window.__bench")
        rows = page.evaluate("document.querySelectorAll('[data-seq]').length")
    finally:
        context.close()
    steady = [d for s, d in data["longtasks"] if steady_start <= s <= steady_end]
    frames = [t for t in data["frames"] if steady_start <= t <= steady_end]
    dropped = sum(max(0, round((b - a) / FRAME_MS) - 1) for a, b in zip(frames, frames[1:],
                                                                         strict=False))
    return {"first_render_ms": first, "longest_task_ms": max(tasks, default=0.0),
            "longtask_entries": len(steady), "longest_longtask_ms": max(steady, default=0.0),
            "tasks_over_50ms": sum(d > 50 for d in tasks), "tasks": len(tasks),
            "frames": len(frames), "dropped_frames": dropped,
            "rows_in_dom": rows,
            "load_longest_task_ms": max((d for s, d in data["longtasks"] if s < steady_start),
                                        default=0.0)}


def run(mode: Mode) -> list[Row]:
    """Backlog render time, long tasks and dropped frames, viewer page vs naive page."""
    from playwright.sync_api import sync_playwright

    backlog = mode.pick(10_000, 10_000, 200)
    rate = mode.pick(200.0, 200.0, 20.0)
    seconds = mode.pick(30.0, 8.0, 2.0)
    results: dict[str, dict[str, Any]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for name, args in (("bare", ["-m", "bench.bare_broadcast"]),
                               ("ours", ["-m", "bench.viewer_server"])):
                server = Child([*args, "--preload", str(backlog)], timeout=120)
                try:
                    results[name] = measure(server, rate, seconds, browser)
                finally:
                    server.stop()
        finally:
            browser.close()
    ours, bare = results["ours"], results["bare"]
    extra = {"ours": ours, "bare": bare}
    return [
        Row("7", f"browser: first render of {backlog:,} backlog", ours["first_render_ms"],
            bare["first_render_ms"], "ms", "< 1000 ms", ours["first_render_ms"] < 1000,
            notes=f"rows in DOM: ours {ours['rows_in_dom']}, naive page "
                  f"{bare['rows_in_dom']}; longest task while loading "
                  f"{ours['load_longest_task_ms']:.0f} ms vs {bare['load_longest_task_ms']:.0f}",
            extra=extra),
        Row("7", f"browser: longest task at {rate:g}/s ({seconds:g} s)",
            ours["longest_task_ms"], bare["longest_task_ms"], "ms", "no task > 50 ms",
            ours["tasks_over_50ms"] == 0 and ours["longtask_entries"] == 0,
            notes=f"traced main-thread tasks > 50 ms: ours {ours['tasks_over_50ms']} of "
                  f"{ours['tasks']}, naive page {bare['tasks_over_50ms']} of {bare['tasks']}; "
                  f"longtask entries: ours {ours['longtask_entries']}, naive page "
                  f"{bare['longtask_entries']}"),
        Row("7", "browser: dropped frames", ours["dropped_frames"], bare["dropped_frames"],
            "frames", "(report)", None,
            notes=f"of {ours['frames']} frames (naive page {bare['frames']})"),
    ]


if __name__ == "__main__":  # a quick look by hand
    from bench.common import Mode as _Mode

    start = time.monotonic()
    for row in run(_Mode("smoke")):
        print(row)
    print(f"{time.monotonic() - start:.1f}s")
