"""The WSGI entry point: ``gunicorn -k gthread 'viewer.wsgi:app'`` (the Docker image's command).

This module is the process's entry point, so unlike the rest of the package it reads the
environment and starts the viewer when imported: once per process. Gunicorn imports it in
each worker after forking (do not use ``--preload``, or the master would consume too). Under
the werkzeug reloader (``flask --app viewer.wsgi run --debug``) the watching parent also
imports it but never serves, so only the serving child starts consumers.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
from typing import Any

from flask import Flask

from viewer import settings
from viewer.app import create_app
from viewer.logs import configure

log = logging.getLogger(__name__)


def reloader_parent() -> bool:
    """True in the werkzeug reloader's watching process, which never serves a request."""
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        return False  # the reloader's serving child
    if "click" not in sys.modules:
        return False
    import click

    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.info_name != "run" or "reload" not in ctx.params:
        return False
    reload = ctx.params["reload"]
    if reload is None:  # flask run's default: reload when debugging
        from flask.helpers import get_debug_flag

        reload = get_debug_flag()
    return bool(reload)


def _begin_stop(app: Flask) -> None:
    """Close websockets and stop polling without waiting, so the server can drain."""
    app.extensions["viewer.hub"].close_all()
    for consumer in app.extensions["viewer"].consumers:
        consumer.request_stop()


def _chain_sigterm(app: Flask) -> None:
    """On SIGTERM, close websockets first (each holds a worker thread), then do as before."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        log.info("SIGTERM: closing websockets and stopping consumers")
        _begin_stop(app)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_sigterm)


def _adopt_gunicorn_logs() -> None:
    """Gunicorn's worker logs go through our handler too, so JSON means every line."""
    if "gunicorn" not in sys.modules:
        return
    root = logging.getLogger()
    for name in ("gunicorn.error", "gunicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = root.handlers
        logger.propagate = False


def build(config: dict[str, Any] | None = None) -> Flask:
    """The app, with its viewer started unless this is the reloader's watching parent."""
    values = settings.resolve(config)
    configure(values["LOG_FORMAT"], values["LOG_LEVEL"])
    _adopt_gunicorn_logs()
    app = create_app(config)
    if reloader_parent():
        log.info("reloader parent %d: the serving child runs the viewer", os.getpid())
        return app
    viewer = app.extensions["viewer"]
    viewer.start()
    log.info("viewer started in process %d", os.getpid())
    atexit.register(viewer.stop, 5.0)
    _chain_sigterm(app)
    return app


app = build()
