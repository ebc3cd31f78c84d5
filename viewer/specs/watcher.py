"""Reloads specs when files under a spec dir change: polls mtimes in a background thread."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from viewer.specs.loader import SUFFIXES

log = logging.getLogger(__name__)

Snapshot = dict[str, tuple[int, int]]


def snapshot(dirs: list[str]) -> Snapshot:
    """(mtime_ns, size) of every spec file below the dirs (a vanished dir is just empty)."""
    found: Snapshot = {}
    for root in dirs:
        for folder, subdirs, files in os.walk(root):
            subdirs[:] = [d for d in subdirs if not d.startswith(".")]
            for name in files:
                if name.lower().endswith(SUFFIXES):
                    path = os.path.join(folder, name)
                    try:
                        st = os.stat(path)
                    except OSError:
                        continue  # removed between listing and stat: the next poll sees it
                    found[path] = (st.st_mtime_ns, st.st_size)
    return found


class SpecWatcher:
    """Calls ``on_change()`` once per change of the spec files (added, edited, removed)."""

    def __init__(self, dirs: list[str], on_change: Callable[[], object],
                 interval: float = 0.4) -> None:
        self.dirs = [str(Path(d)) for d in dirs]
        self.on_change = on_change
        self.interval = interval
        self.reloads = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: Snapshot = {}

    def start(self) -> None:
        """Take the first snapshot and start polling. Idempotent."""
        if self._thread is not None:
            return
        self._seen = snapshot(self.dirs)
        self._thread = threading.Thread(target=self._run, name="spec-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop polling and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def poll(self) -> bool:
        """Look once; reload if anything changed. True when it reloaded."""
        now = snapshot(self.dirs)
        if now == self._seen:
            return False
        self._seen = now
        try:
            self.on_change()
            self.last_error = None
        except Exception as exc:  # a bad edit must not kill the watcher: report and go on
            self.last_error = str(exc)
            log.warning("spec reload failed: %s", exc)
        self.reloads += 1
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # defensive: keep watching whatever happens
                log.exception("spec watcher poll failed")

    def health(self) -> dict[str, object]:
        """Whether it runs, how often it reloaded, and the last error."""
        running = self._thread is not None and self._thread.is_alive()
        return {"watching": self.dirs, "running": running, "reloads": self.reloads,
                "lastError": self.last_error}
