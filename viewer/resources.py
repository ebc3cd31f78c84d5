"""Finds the top-level ``schema/``, ``static/`` and ``templates/`` from a checkout or a wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """The folder ``name``: inside the installed package (wheel), else beside it (checkout)."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"resource folder {name!r} is neither in {_PACKAGE} nor beside it")


def resource_path(name: str, *parts: str) -> Path:
    """A file inside a resource folder."""
    return resource_dir(name).joinpath(*parts)
