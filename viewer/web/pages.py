"""The HTML pages: the live view and the spec catalogue."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from viewer import __version__
from viewer.web.api import page_config

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    """The live view, with its configuration inline: one round trip fewer before it subscribes."""
    return render_template("index.html", version=__version__, config=page_config())


def init_app(app: Flask) -> None:
    """Register the pages."""
    app.register_blueprint(bp)
