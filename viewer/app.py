"""The Flask application factory: builds the viewer and registers the web layer on it."""

from __future__ import annotations

from typing import Any

from flask import Flask

from viewer import settings
from viewer.core import Viewer
from viewer.resources import resource_dir


def create_app(config: dict[str, Any] | None = None, viewer: Viewer | None = None) -> Flask:
    """Build the app: settings (defaults < environment < ``config``), viewer, routes.

    Nothing starts here: call ``app.extensions["viewer"].start()`` (the CLI and the WSGI
    entry point do) so tests and tools can build an app without threads or sockets.
    """
    app = Flask(__name__, template_folder=str(resource_dir("templates")),
                static_folder=str(resource_dir("static")), static_url_path="/static")
    values = settings.resolve(config)
    app.config.from_mapping(values)
    app.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": 25,
                                         "max_message_size": values["WS_MAX_MESSAGE"]}
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["viewer"] = viewer or Viewer(values)

    from viewer.web import api, health, overview, pages, security, specs_api, stream

    security.init_app(app)
    health.init_app(app)
    api.init_app(app)
    specs_api.init_app(app)
    pages.init_app(app)
    stream.init_app(app)
    overview.init_app(app)
    from viewer.web import metrics

    metrics.init_app(app)
    return app


def get_viewer(app: Flask) -> Viewer:
    """The app's Viewer."""
    return app.extensions["viewer"]
