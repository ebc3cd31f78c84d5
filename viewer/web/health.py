"""Health and info endpoints in the HMPPS style."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify

from viewer import __version__

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> tuple[Response, int]:
    """Overall status with a component per queue and the store; 503 when DOWN."""
    report = current_app.extensions["viewer"].health()
    return jsonify(report), 200 if report["status"] == "UP" else 503


@bp.get("/health/ping")
def ping() -> Response:
    """The process answers."""
    return jsonify(status="UP")


@bp.get("/info")
def info() -> Response:
    """Build name and version."""
    return jsonify(build={"name": "hmpps-events-viewer", "version": __version__})


def init_app(app: Flask) -> None:
    """Register the health endpoints."""
    app.register_blueprint(bp)
