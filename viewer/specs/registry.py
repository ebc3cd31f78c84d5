"""The registry of event specs, looked up by event type; rebuilt whole and swapped on reload."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from viewer.message import VALID, Validation
from viewer.specs import lint
from viewer.specs.loader import AUTO, CURATED, Finding, Loaded, SpecSource, load
from viewer.validation import CompiledSchema, envelope_schema

log = logging.getLogger(__name__)
RANK = {CURATED: 0, AUTO: 1}


@dataclass
class Spec:
    """One event type's spec: its compiled payload schema and where its own faults lie."""

    name: str
    path: str
    payload: Any
    validator: CompiledSchema
    fault_pointers: frozenset[str] = frozenset()
    origin: str = CURATED
    event_types: tuple[str, ...] = ()
    message: dict[str, Any] = field(default_factory=dict)
    example: Any = None
    findings: list[Finding] = field(default_factory=list)
    overrides: tuple[str, ...] = ()

    @cached_property
    def description(self) -> dict[str, Any]:
        """``describe()``, made once and shared (read-only) by every message it judged."""
        return self.describe()

    @cached_property
    def valid_verdict(self) -> Validation:
        """The verdict on a message that passes: one object shared by every such message."""
        return Validation(VALID, (), self.description)

    def describe(self) -> dict[str, Any]:
        """The contract's ``validation.spec`` object (plus where it came from)."""
        return {"name": self.name, "path": self.path, "origin": self.origin}

    def is_fault(self, error: dict[str, Any]) -> bool:
        """Whether the spec itself is wrong where this error is (see docs/specs.md)."""
        return bool(self.fault_pointers) and lint.normalise(error["pointer"]) in self.fault_pointers

    def text(self, key: str) -> str | None:
        """A string member of the message object (title, summary, description)."""
        value = self.message.get(key)
        return value if isinstance(value, str) else None

    def fingerprint(self) -> str:
        """What a verdict depends on: changes when the judgement of its messages may change."""
        return json.dumps([self.path, self.payload, sorted(self.fault_pointers)],
                          sort_keys=True, default=str)


@dataclass
class Index:
    """One immutable build of the registry."""

    by_type: dict[str, Spec] = field(default_factory=dict)
    specs: list[Spec] = field(default_factory=list)
    claims: dict[str, list[Spec]] = field(default_factory=dict)  # every spec claiming a type
    findings: list[Finding] = field(default_factory=list)  # files that gave no spec
    files: int = 0
    roots: list[str] = field(default_factory=list)
    loaded_at: float = 0.0
    error: str | None = None  # why the last load failed (the previous index stays)


def _event_type_of(payload: Any) -> str | None:
    # A whole AsyncAPI document's payload is usually a $ref into components.schemas.
    root = lint.deref(payload, payload)
    props = root.get("properties") if isinstance(root, dict) else None
    prop = lint.deref(props.get("eventType"), payload) if isinstance(props, dict) else None
    if isinstance(prop, dict):
        for key in ("const", "example"):
            if isinstance(prop.get(key), str):
                return prop[key]
        if isinstance(prop.get("enum"), list) and len(prop["enum"]) == 1:
            return str(prop["enum"][0])
    return None


def _merge(base: Any, fragment: Any) -> Any:
    """``fragment`` deep-merged over ``base`` (objects merge, anything else replaces)."""
    if isinstance(base, dict) and isinstance(fragment, dict):
        out = dict(base)
        for key, value in fragment.items():
            out[key] = _merge(base.get(key), value) if key in base else value
        return out
    return fragment


def compile_spec(source: SpecSource, envelope: CompiledSchema) -> Spec:
    """Lint and compile one message object into a Spec."""
    message = source.message
    checked, validator = lint.check(message.get("payload"), source.path, envelope)
    findings = list(source.findings) + checked.findings
    event_type = _event_type_of(checked.payload)
    name = message.get("name")
    if not isinstance(name, str) or not name:
        name = source.key or event_type or PurePosixPath(source.rel).stem
        findings.append(Finding("no-name", f"no name: indexed as {name!r}", source.path))
    types = [name]
    if event_type and event_type != name:
        findings.append(Finding("name-mismatch", f"name {name!r} but the payload's eventType "
                                f"is {event_type!r}: indexed under both", source.path,
                                "/eventType"))
        types.append(event_type)
    return Spec(name=name, path=source.path, payload=checked.payload, validator=validator,
                fault_pointers=frozenset(checked.faults), origin=source.origin,
                event_types=tuple(types), message=message, example=checked.example,
                findings=findings, overrides=tuple(source.overrides))


# Schema nodes _shape visits at most: $refs can make a schema of a few lines expand
# exponentially without repeating (each definition using the one before it twice).
_SHAPE_BUDGET = 20_000


def _shape(payload: Any) -> dict[str, Any]:
    """Declared type and const of every instance location, to compare two specs.

    Local ``$ref``s are followed (the target constrains the referring location), except
    into a target already being walked on the way there: a recursive schema is walked once.
    Breadth first, so a budget cut leaves out the deepest places, not a whole branch.
    """
    out: dict[str, Any] = {}
    queue: deque[tuple[tuple[Any, ...], Any, frozenset[int]]] = deque(
        [((), payload, frozenset())])
    budget = _SHAPE_BUDGET
    while queue and budget:
        budget -= 1
        at, node, inside = queue.popleft()
        if isinstance(node, dict) and "$ref" in node:
            node = lint.deref(node, payload)  # draft-07: what sits beside $ref is ignored
            if id(node) in inside:
                continue
        if not isinstance(node, dict) or len(at) > 64:
            continue
        inside = inside | {id(node)}  # every schema on the way down, however reached
        where = lint.instance_pointer(at)
        if where is not None and ("type" in node or "const" in node):
            out[where] = (json.dumps(node.get("type")), json.dumps(node.get("const")))
        queue.extend((sub_at, sub, inside) for sub_at, sub in lint.subschemas(node, at))
    return out


def _disagreements(a: Spec, b: Spec) -> list[str]:
    sa, sb = _shape(a.payload), _shape(b.payload)
    return sorted(p or "/" for p in set(sa) & set(sb) if sa[p] != sb[p])


def build_index(loaded: Loaded, envelope: CompiledSchema) -> Index:
    """Apply overrides, compile every spec, and choose one per event type (curated first)."""
    index = Index(findings=list(loaded.findings), files=loaded.files, roots=loaded.roots,
                  loaded_at=time.time())
    sources = list(loaded.sources)
    for override in loaded.overrides:
        target = override.message.get("name") or PurePosixPath(override.rel).stem
        matched = [i for i, s in enumerate(sources) if s.message.get("name") == target]
        if not matched:
            index.findings.append(Finding("override-unmatched", f"override for {target!r}, "
                                          "which no spec names", override.path))
        for i in matched:
            s = sources[i]
            merged = _merge(s.message, {k: v for k, v in override.message.items()
                                        if k != "name"})
            sources[i] = SpecSource(s.path, s.rel, s.origin, merged, s.key, s.findings,
                                    [*s.overrides, override.path])
    for source in sources:
        spec = compile_spec(source, envelope)
        index.specs.append(spec)
        for t in spec.event_types:
            index.claims.setdefault(t, []).append(spec)
    for event_type, claimants in index.claims.items():
        claimants.sort(key=lambda s: (RANK.get(s.origin, 2), s.path))
        winner = claimants[0]
        index.by_type[event_type] = winner
        for other in claimants[1:]:
            if other.path == winner.path:
                continue
            if other.origin == winner.origin:
                other.findings.append(Finding(
                    "duplicate-type", f"{event_type!r} is also claimed by {winner.path}, "
                    f"which is used instead", other.path))
                continue
            differ = _disagreements(winner, other)
            if differ:
                text = ", ".join(differ[:8])
                for spec, peer in ((winner, other), (other, winner)):
                    spec.findings.append(Finding(
                        "duplicate-disagrees", f"{event_type!r} is also specified by "
                        f"{peer.path} ({peer.origin}), which disagrees at {text}", spec.path))
    return index


class SpecRegistry:
    """Specs by event type. ``load``/``reload`` build a new index, then swap it in at once."""

    def __init__(self, dirs: list[str] | None = None, urls: list[str] | None = None,
                 envelope: dict[str, Any] | None = None) -> None:
        self.dirs = list(dirs or [])
        self.urls = list(urls or [])
        self._envelope = CompiledSchema(envelope or envelope_schema(), "envelope")
        self.index = Index()  # the current build: replaced whole, never mutated
        self._reload_lock = threading.Lock()
        self._parsed: dict[Any, Any] = {}

    @property
    def loaded(self) -> bool:
        """Whether any spec is registered (without specs, nothing is ``unknown``)."""
        return bool(self.index.by_type)

    def lookup(self, event_type: str) -> Spec | None:
        """The spec for an event type, or None."""
        return self.index.by_type.get(event_type)

    def reload(self) -> list[str] | None:
        """Re-read every source and swap; the event types whose verdicts may change.

        None means every type (specs appeared or vanished altogether). A source that cannot
        be read leaves the previous index in place and raises SpecSourceError.
        """
        with self._reload_lock:
            old = self.index
            try:
                loaded = load(self.dirs, self.urls, cache=self._parsed)
                new = build_index(loaded, self._envelope)
            except Exception as exc:
                self.index = _with_error(old, str(exc))
                raise
            self.index = new
            self._parsed = loaded.parsed
            log.info("specs loaded: %d files, %d specs, %d event types", new.files,
                     len(new.specs), len(new.by_type))
            if bool(old.by_type) != bool(new.by_type):
                return None
            return changed_types(old, new)


def _with_error(index: Index, message: str) -> Index:
    return Index(index.by_type, index.specs, index.claims, index.findings, index.files,
                 index.roots, index.loaded_at, message)


def changed_types(old: Index, new: Index) -> list[str]:
    """Event types whose spec was added, removed or changed between two builds."""
    out = []
    for t in set(old.by_type) | set(new.by_type):
        a, b = old.by_type.get(t), new.by_type.get(t)
        if a is None or b is None or a.fingerprint() != b.fingerprint():
            out.append(t)
    return sorted(out)
