"""The registry of event specs, looked up by event type (a placeholder the spec issue fills)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from viewer.validation import CompiledSchema


@dataclass
class Spec:
    """One event type's spec: its compiled payload schema and where its own faults lie."""

    name: str
    path: str
    payload: Any
    validator: CompiledSchema
    fault_paths: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def describe(self) -> dict[str, Any]:
        """The contract's ``validation.spec`` object."""
        return {"name": self.name, "path": self.path}

    def is_fault(self, error: dict[str, Any]) -> bool:
        """Whether the spec's own example raises this error too (the spec is at fault)."""
        return (error["schema"], error["schemaPath"]) in self.fault_paths


class SpecRegistry:
    """Specs by event type."""

    def __init__(self) -> None:
        self._by_type: dict[str, Spec] = {}

    @property
    def loaded(self) -> bool:
        """Whether any spec is registered (without specs, nothing is ``unknown``)."""
        return bool(self._by_type)

    def lookup(self, event_type: str) -> Spec | None:
        """The spec for an event type, or None."""
        return self._by_type.get(event_type)
