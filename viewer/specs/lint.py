"""Lints one spec and finds where it lies: malformed subschemas, contradictions, its own example.

``check(source, envelope)`` sanitises the payload (a non-schema becomes ``{}``), builds the
spec's own example and validates it against the envelope and the payload, and returns the
findings plus the *fault pointers*: instance locations where the spec itself is wrong, so a
message error there is the spec's fault (the rule is documented in docs/specs.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from viewer.specs.loader import Finding
from viewer.validation import CompiledSchema, pointer

# Keywords whose value is a schema, a list of schemas, or a name -> schema map (draft-07).
ONE = ("additionalItems", "additionalProperties", "contains", "propertyNames", "not",
       "if", "then", "else")
MANY = ("allOf", "anyOf", "oneOf")
MAP = ("properties", "patternProperties", "definitions")
MISSING = object()
MAX_DEPTH = 64
_INDEX = re.compile(r"/\d+(?=/|$)")
_META = jsonschema.Draft7Validator(jsonschema.Draft7Validator.META_SCHEMA)
_TYPES = {"string": str, "object": dict, "array": list, "boolean": bool, "null": type(None)}


def normalise(ptr: str) -> str:
    """An instance pointer with array indices as ``*`` (``/identifiers/0/value`` -> ``/*/``)."""
    return _INDEX.sub("/*", ptr)


@dataclass
class Checked:
    """A sanitised payload, its example, its findings and its fault pointers."""

    payload: Any
    example: Any
    findings: list[Finding] = field(default_factory=list)
    faults: set[str] = field(default_factory=set)


def subschemas(schema: dict[str, Any], at: tuple[Any, ...] = ()
               ) -> list[tuple[tuple[Any, ...], Any]]:
    """Every direct subschema of ``schema`` as (schema path, value)."""
    out: list[tuple[tuple[Any, ...], Any]] = []
    for key in ONE:
        if key in schema:
            out.append(((*at, key), schema[key]))
    for key in MANY:
        if isinstance(schema.get(key), list):
            out.extend(((*at, key, i), s) for i, s in enumerate(schema[key]))
    for key in MAP:
        if isinstance(schema.get(key), dict):
            out.extend(((*at, key, name), s) for name, s in schema[key].items())
    items = schema.get("items", MISSING)
    if isinstance(items, list):
        out.extend(((*at, "items", i), s) for i, s in enumerate(items))
    elif items is not MISSING:
        out.append(((*at, "items"), items))
    deps = schema.get("dependencies")
    if isinstance(deps, dict):
        out.extend(((*at, "dependencies", n), s) for n, s in deps.items()
                   if not isinstance(s, list))
    return out


def instance_pointer(schema_path: tuple[Any, ...]) -> str | None:
    """The (normalised) instance location a schema location constrains, if there is one."""
    parts: list[str] = []
    i = 0
    while i < len(schema_path):
        key = schema_path[i]
        if key == "properties" and i + 1 < len(schema_path):
            parts.append(str(schema_path[i + 1]))
            i += 2
        elif key == "items":
            parts.append("*")
            i += 2 if i + 1 < len(schema_path) and isinstance(schema_path[i + 1], int) else 1
        elif key in ("additionalProperties", "patternProperties", "additionalItems", "contains"):
            parts.append("*")
            i += 2 if key == "patternProperties" else 1
        elif key in MANY:
            i += 2
        elif key in ("if", "then", "else", "not"):
            i += 1
        else:
            return None  # definitions, dependencies: no single instance location
    return pointer(parts)


def _get(schema: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        schema = schema[key]
    return schema


def sanitise(payload: Any, file: str) -> tuple[Any, list[Finding]]:
    """A deep copy where anything that is not a schema becomes ``{}``, with a finding each."""
    findings: list[Finding] = []
    if not isinstance(payload, dict | bool):
        findings.append(Finding("not-a-schema", f"payload is a {type(payload).__name__}, not a "
                                "schema: treated as {} (anything goes)", file, ""))
        return {}, findings
    clean = jsonable(payload)
    places: set[tuple[Any, ...]] = {()}
    stack: list[tuple[tuple[Any, ...], Any, int]] = [((), clean, 0)]
    while stack:
        at, node, depth = stack.pop()
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            continue
        for path, sub in subschemas(node, at):
            places.add(path)
            if isinstance(sub, dict):
                stack.append((path, sub, depth + 1))
            elif not isinstance(sub, bool):
                parent = _get(clean, path[:-1])
                parent[path[-1]] = {}
                findings.append(Finding(
                    "malformed-subschema", f"{_show(sub)} where a schema belongs: treated as {{}}",
                    file, pointer(path)))
    # Keyword values the draft-07 meta-schema refuses (``type: strin``, ``required: name``):
    # drop the keyword, so the rest of that subschema still applies.
    for _ in range(50):
        error = next(iter(_META.iter_errors(clean)), None)
        if error is None:
            break
        path = tuple(error.absolute_path)
        owner = max((p for p in places if path[:len(p)] == p and len(p) < len(path)),
                    key=len, default=None)
        if owner is None:  # the root itself: give up on it
            findings.append(Finding("not-a-schema", f"payload: {error.message}", file, ""))
            return {}, findings
        keyword = path[len(owner)]
        node = _get(clean, owner)
        node.pop(keyword, None)
        findings.append(Finding("malformed-subschema",
                                f"{keyword}: {_short(error.message)}: keyword ignored",
                                file, pointer((*owner, keyword))))
    return clean, findings


def jsonable(value: Any, depth: int = 0) -> Any:
    """A copy JSON can hold: string keys, no NaN or infinity (YAML allows both)."""
    if depth > 4 * MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return f"a {type(value).__name__} {text[:60]}"


def _short(text: str) -> str:
    return text if len(text) <= 160 else text[:159] + "…"


def example_of(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """The spec's own example: example, examples[0], const, default, enum[0], recursively."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return MISSING
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        try:
            target = _get(root, tuple(p.replace("~1", "/").replace("~0", "~")
                                      for p in ref[2:].split("/")))
        except (KeyError, IndexError, TypeError):
            return MISSING
        return example_of(target, root, depth + 1)
    if "example" in schema:
        return schema["example"]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    props = schema.get("properties")
    if isinstance(props, dict):
        built = {}
        for name, sub in props.items():
            value = example_of(sub, root, depth + 1)
            if value is not MISSING:
                built[name] = value
        return built
    items = schema.get("items")
    if isinstance(items, list):
        values = [example_of(s, root, depth + 1) for s in items]
        return values[:values.index(MISSING)] if MISSING in values else values
    if isinstance(items, dict):
        value = example_of(items, root, depth + 1)
        return MISSING if value is MISSING else [value]
    return MISSING


def _contradictions(payload: Any, file: str) -> tuple[list[Finding], set[str]]:
    """``required`` naming undeclared members; ``const``/``enum`` values that fail ``type``."""
    findings: list[Finding] = []
    faults: set[str] = set()
    stack: list[tuple[tuple[Any, ...], Any]] = [((), payload)]
    while stack:
        at, node = stack.pop()
        if not isinstance(node, dict) or len(at) > 2 * MAX_DEPTH:
            continue
        stack.extend(subschemas(node, at))
        where = instance_pointer(at)
        props, required = node.get("properties"), node.get("required")
        if isinstance(props, dict) and isinstance(required, list) \
                and not node.get("patternProperties") and not any(k in node for k in MANY):
            for name in required:
                if isinstance(name, str) and name not in props:
                    findings.append(Finding(
                        "required-undeclared",
                        f"required names {name!r}, which properties does not declare",
                        file, pointer((*at, "required"))))
                    if where is not None:
                        faults.add(normalise(where + pointer([name])))
        declared = node.get("type")
        if isinstance(declared, str | list):
            kinds = [declared] if isinstance(declared, str) else declared
            values = ([("const", node["const"])] if "const" in node else []) + [
                ("enum", v) for v in (node.get("enum") if isinstance(node.get("enum"), list)
                                      else [])]
            for keyword, value in values:
                if not any(_is_type(value, k) for k in kinds):
                    findings.append(Finding(
                        "const-type-conflict",
                        f"{keyword} {value!r} is not of its own type {declared!r}", file,
                        pointer((*at, keyword))))
                    if where is not None:
                        faults.add(normalise(where))
    return findings, faults


def _is_type(value: Any, kind: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    expected = _TYPES.get(kind)
    return expected is not None and isinstance(value, expected) and not (
        expected is not bool and isinstance(value, bool))


def check(payload: Any, file: str, envelope: CompiledSchema) -> tuple[Checked, CompiledSchema]:
    """Sanitise, compile, build the example and find where the spec contradicts itself."""
    clean, findings = sanitise(payload, file)
    faults: set[str] = set()
    for finding in findings:
        if finding.code == "malformed-subschema" and finding.pointer is not None:
            where = _schema_parts(finding.pointer)
            # the subschema (or its dropped keyword) constrains this instance location
            loc = instance_pointer(where) or instance_pointer(where[:-1])
            if loc is not None:
                faults.add(normalise(loc))
    more, contradicted = _contradictions(clean, file)
    findings += more
    faults |= contradicted
    validator = CompiledSchema(clean, "spec")
    if validator.compile_error:
        findings.append(Finding("malformed-subschema", "the fast engine refused this schema "
                                f"({_short(validator.compile_error)}); checked with the "
                                "reference engine instead", file, ""))
    example = example_of(clean)
    if example is MISSING:
        example = None
    else:
        for engine, code in ((envelope, "example-fails-envelope"),
                             (validator, "example-fails-payload")):
            for error in _safe_errors(engine, example):
                if error["keyword"] == "required":
                    continue  # an incomplete example is not a contradiction
                findings.append(Finding(code, f"its own example at {error['pointer'] or '/'}: "
                                        f"{error['message']}", file, error["pointer"]))
                faults.add(normalise(error["pointer"]))
    return Checked(clean, example, findings, faults), validator


def _safe_errors(engine: CompiledSchema, instance: Any) -> list[dict[str, Any]]:
    try:
        return engine.errors(instance)
    except Exception as exc:  # noqa: BLE001 - a broken spec must not stop the load
        return [{"pointer": "", "message": f"could not be checked: {exc}", "keyword": "error"}]


def _schema_parts(ptr: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for raw in ptr.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() and parts and parts[-1] in (
            *MANY, "items") else part)
    return tuple(parts)
