"""The HTML pages: the live view and the spec catalogue."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

from viewer import __version__

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    """The live view."""
    return render_template("index.html", version=__version__,
                           hidden=current_app.config["HIDE_EVENT_TYPES"])


def init_app(app: Flask) -> None:
    """Register the pages."""
    app.register_blueprint(bp)
