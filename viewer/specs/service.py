"""The viewer's specs at run time: where they come from, loading, watching, re-validating."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from viewer.specs.watcher import SpecWatcher

if TYPE_CHECKING:
    from viewer.core import Viewer

log = logging.getLogger(__name__)
DEMO_SPECS = Path(__file__).resolve().parent.parent / "demo" / "specs"


class SpecService:
    """Loads the registry on ``start()``, reloads it on change, and re-judges the buffer."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.watcher: SpecWatcher | None = None
        self.last: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def sources(self) -> tuple[list[str], list[str]]:
        """(dirs, urls) from the settings; the demo's own specs in embedded mode without any."""
        config = self.viewer.config
        dirs, urls = list(config.get("SPEC_DIRS") or []), list(config.get("SPEC_URLS") or [])
        if not dirs and not urls and self.viewer.embedded_mode:
            dirs = [str(DEMO_SPECS)]
        return dirs, urls

    def start(self) -> None:
        """Load every spec (a bad dir or URL raises SpecSourceError) and start watching."""
        registry = self.viewer.registry
        registry.dirs, registry.urls = self.sources()
        if not registry.dirs and not registry.urls:
            return
        self.reload()
        if self.viewer.config.get("SPEC_WATCH") and registry.dirs:
            self.watcher = SpecWatcher(registry.dirs, self.reload)
            self.watcher.start()

    def stop(self) -> None:
        """Stop watching."""
        if self.watcher is not None:
            self.watcher.stop()

    def reload(self) -> dict[str, Any]:
        """Re-read the specs, swap them in, and re-judge buffered messages they affect."""
        with self._lock:  # the watcher and POST /api/specs/reload may race
            registry = self.viewer.registry
            affected = registry.reload()
            changed = self.viewer.store.revalidate(self.viewer.rejudge, affected)
            index = registry.index
            self.last = {
                "files": index.files, "specs": len(index.specs),
                "eventTypes": len(index.by_type),
                "affectedEventTypes": affected if affected is not None else "all",
                "revalidated": len(changed), "loadedAt": index.loaded_at,
            }
            return self.last

    def health(self) -> dict[str, Any]:
        """The ``specs`` health component: UP, with what is loaded and any reload error."""
        index = self.viewer.registry.index
        details: dict[str, Any] = {"files": index.files, "specs": len(index.specs),
                                   "eventTypes": len(index.by_type)}
        if index.error:
            details["lastError"] = index.error
        if self.watcher is not None:
            details["watcher"] = self.watcher.health()
        return {"status": "UP", "details": details}
