"""The HTML pages: the live view and the spec catalogue."""

from __future__ import annotations

import functools
import os
import re

from flask import Blueprint, Flask, current_app, render_template

from viewer import __version__
from viewer.web.api import page_config

bp = Blueprint("pages", __name__)

# A static ES module import, `import ... from "./x.js";` or `import "./x.js";` (the page
# has no dynamic imports).
_IMPORT = re.compile(r'^import\s+(?:[^;"]*?\bfrom\s+)?"(\.{1,2}/[^"]+\.js)"', re.MULTILINE)


@functools.cache
def module_graph(static_folder: str, entry: str = "app.js") -> tuple[str, ...]:
    """Every module ``entry`` imports, directly or not, as paths under ``static_folder``."""
    found: list[str] = []
    todo = [entry]
    while todo:
        path = todo.pop()
        with open(os.path.join(static_folder, path), encoding="utf-8") as fh:
            source = fh.read()
        for relative in _IMPORT.findall(source):
            module = os.path.normpath(os.path.join(os.path.dirname(path), relative))
            if module not in found:
                found.append(module)
                todo.append(module)
    return tuple(sorted(found))


@bp.get("/")
def index() -> str:
    """The live view, with its configuration inline: one round trip fewer before it subscribes.

    Every module the page imports is named for preloading, so the browser fetches them at
    once rather than one import level at a time.
    """
    modules = module_graph(current_app.static_folder or "")
    return render_template("index.html", version=__version__, config=page_config(),
                           modules=modules)


def init_app(app: Flask) -> None:
    """Register the pages."""
    app.register_blueprint(bp)
