"""Where the embedded default's memory goes: a diagnostic for figure 8, not a figure.

``python -m bench.memprobe [--rate 30] [--buffer 1000] [--minutes 10] [--every 30]
[--tracemalloc N] [--trim]`` runs the real embedded pipeline in this process (the app from
``create_app``, its Viewer with Embedded + SqsConsumer, the local moto child) and prints,
every ``--every`` seconds: messages stored, RSS, glibc's heap (``mallinfo2``: in use, free,
mmapped), Python's own allocator (pymalloc arenas), tracemalloc's total when on, and the
object types whose counts changed most. With ``--tracemalloc N`` it also prints, at the
end, the allocation sites (N frames deep) that grew most after the buffer filled. With
``--trim`` it calls ``malloc_trim(0)`` after each sample, to tell freed-but-kept heap from
memory in use.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import time
import tracemalloc
from collections import Counter
from typing import Any

from bench.common import rss_bytes

MB = 1024 * 1024


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


_libc = ctypes.CDLL("libc.so.6")
_libc.mallinfo2.restype = _MallInfo2
_libc.malloc_trim.argtypes = [ctypes.c_size_t]


def heap() -> dict[str, int]:
    """glibc's view of the C heap (all arenas): sbrk/mmap'd arenas, in use, free, big blocks."""
    info = _libc.mallinfo2()
    return {"arena": info.arena, "used": info.uordblks, "free": info.fordblks,
            "mmapped": info.hblkhd}


def pymalloc_arenas() -> int:
    """Bytes of pymalloc arenas currently allocated (256 KiB each in 3.11)."""
    import tempfile

    # It writes to the C-level stderr: catch file descriptor 2 for the call.
    with tempfile.TemporaryFile("w+") as out:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read()
    for line in text.splitlines():
        if line.startswith("# arenas allocated current"):
            return int(line.split("=")[1].replace(",", "")) * 256 * 1024
    return -1


def type_counts() -> Counter[str]:
    """Live gc-tracked objects by type name."""
    return Counter(type(o).__name__ for o in gc.get_objects())


def main(argv: list[str] | None = None) -> None:
    """Run the pipeline and print what grows."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--buffer", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=30.0)
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES")
    parser.add_argument("--trim", action="store_true")
    args = parser.parse_args(argv)
    if args.tracemalloc:
        tracemalloc.start(args.tracemalloc)

    from viewer.app import create_app

    app = create_app({"EMBEDDED": True, "DEMO_RATE": args.rate, "BUFFER_SIZE": args.buffer,
                      "SPEC_WATCH": False, "LOG_LEVEL": "WARNING"})
    viewer = app.extensions["viewer"]
    viewer.start()
    store = viewer.store
    fill = 2 * args.buffer / args.rate  # the dedupe memory holds twice the buffer
    print(f"pid {os.getpid()}; buffer {args.buffer}, ids full after ~{fill:.0f} s", flush=True)
    start = time.monotonic()
    before = type_counts()
    baseline: Any = None
    try:
        while (elapsed := time.monotonic() - start) < args.minutes * 60:
            time.sleep(args.every)  # the sampling interval, not a synchronisation
            elapsed = time.monotonic() - start
            gc.collect()
            counts = type_counts()
            delta = counts - before
            grown = ", ".join(f"{k}+{v}" for k, v in delta.most_common(6))
            before = counts
            h = heap()
            traced = tracemalloc.get_traced_memory()[0] if args.tracemalloc else 0
            rss = rss_bytes(os.getpid())
            print(f"{elapsed:6.0f}s stored {store.last_seq:6d} rss {rss / MB:6.1f}"
                  f" heap used {h['used'] / MB:6.1f} free {h['free'] / MB:6.1f} "
                  f"arena {h['arena'] / MB:6.1f} mmap {h['mmapped'] / MB:5.1f} "
                  f"pymalloc {pymalloc_arenas() / MB:5.1f} traced {traced / MB:5.1f} "
                  f"objs {sum(counts.values())} | {grown}", flush=True)
            if args.trim:
                _libc.malloc_trim(0)
            if args.tracemalloc and baseline is None and elapsed > fill + 30:
                baseline = tracemalloc.take_snapshot()
        if baseline is not None:
            top = tracemalloc.take_snapshot().compare_to(baseline, "traceback")
            print("\nallocation sites that grew after the ids filled:")
            for stat in top[:15]:
                print(f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks")
                for line in stat.traceback.format()[-2 * args.tracemalloc:]:
                    print("    " + line)
    finally:
        viewer.stop(5)


if __name__ == "__main__":
    main()
