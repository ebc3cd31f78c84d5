"""The spec subcommands: ``validate``, ``lint-specs`` and ``draft-spec``."""

from __future__ import annotations
