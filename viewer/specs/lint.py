"""Lints one spec and finds where it lies: malformed subschemas, contradictions, its own example.

``check(source, envelope)`` sanitises the payload (a non-schema becomes ``{}``), builds the
spec's own example and validates it against the envelope and the payload, and returns the
findings plus the *fault pointers*: instance locations where the spec itself is wrong, so a
message error there is the spec's fault (the rule is documented in docs/specs.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import jsonschema
import jsonschema_rs

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


def resolve(root: Any, ref: Any) -> Any:
    """What a local ``$ref`` (``#`` or ``#/json/pointer``) names inside ``root``, or MISSING."""
    if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
        return MISSING
    node = root
    for raw in ref[2:].split("/") if ref != "#" else ():
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def deref(node: Any, root: Any) -> Any:
    """``node``, or what its local ``$ref`` chain leads to inside ``root`` (MISSING if nowhere)."""
    for _ in range(MAX_DEPTH):
        if not isinstance(node, dict) or "$ref" not in node:
            return node
        node = resolve(root, node["$ref"])
    return MISSING


@lru_cache(maxsize=1024)
def _regex_error(pattern: str) -> str | None:
    """Why the validation engine refuses a ``pattern``, or None when it takes it."""
    try:
        jsonschema_rs.Draft7Validator({"pattern": pattern})
    except Exception as exc:  # noqa: BLE001 - the engine's own refusal, said in one line
        return " ".join(str(exc).split("Failed validating")[0].split())
    return None


def _unusable(node: dict[str, Any], root: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(path, why) of each keyword in ``node`` no engine can use.

    A ``$ref`` to nowhere or outside the spec (never fetched), a ``pattern`` (or a
    ``patternProperties`` key) that is not a regex.
    """
    out: list[tuple[tuple[Any, ...], str]] = []
    ref = node.get("$ref")
    if isinstance(ref, str):
        if not (ref == "#" or ref.startswith("#/")):
            out.append((("$ref",), f"$ref {ref!r} points outside this spec (not followed)"))
        elif resolve(root, ref) is MISSING:
            out.append((("$ref",), f"$ref {ref!r} points to nothing in this spec"))
    pattern = node.get("pattern")
    if isinstance(pattern, str) and _regex_error(pattern):
        out.append((("pattern",), f"pattern {_short(pattern)!r} is not a regex: "
                                  f"{_short(_regex_error(pattern) or '')}"))
    props = node.get("patternProperties")
    if isinstance(props, dict):
        out.extend((("patternProperties", key), f"patternProperties key {_short(key)!r} is "
                    "not a regex") for key in props if isinstance(key, str) and _regex_error(key))
    return out


def _component_schemas(root: dict[str, Any]) -> list[tuple[tuple[Any, ...], Any]]:
    """A whole AsyncAPI document's ``components.schemas`` (what its payload refs point to)."""
    components = root.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if not isinstance(schemas, dict):
        return []
    return [(("components", "schemas", name), sub) for name, sub in schemas.items()]


def sanitise(payload: Any, file: str) -> tuple[Any, list[Finding]]:
    """A deep copy where anything that is not a schema becomes ``{}``, with a finding each."""
    findings: list[Finding] = []
    if not isinstance(payload, dict | bool):
        findings.append(Finding("not-a-schema", f"payload is a {type(payload).__name__}, not a "
                                "schema: treated as {} (anything goes)", file, ""))
        return {}, findings
    clean = jsonable(payload)
    roots: list[tuple[Any, ...]] = [()]  # the payload, and the schemas its refs point into
    places: set[tuple[Any, ...]] = {()}
    stack: list[tuple[tuple[Any, ...], Any, int]] = [((), clean, 0)]
    while stack:
        at, node, depth = stack.pop()
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            continue
        for rel, why in _unusable(node, clean):
            owner = node if len(rel) == 1 else node[rel[0]]
            owner.pop(rel[-1], None)
            findings.append(Finding("malformed-subschema", f"{why}: keyword ignored", file,
                                    pointer((*at, *rel))))
        children = subschemas(node, at)
        if not at:
            components = _component_schemas(node)
            roots.extend(path for path, _ in components)
            children += components
        for path, sub in children:
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
        error = next((e for r in roots for e in _meta_errors(clean, r)), None)
        if error is None:
            break
        path, message = error
        owner = max((p for p in places if path[:len(p)] == p and len(p) < len(path)),
                    key=len, default=None)
        if owner is None:  # the root itself: give up on it
            findings.append(Finding("not-a-schema", f"payload: {message}", file, ""))
            return {}, findings
        keyword = path[len(owner)]
        node = _get(clean, owner)
        node.pop(keyword, None)
        findings.append(Finding("malformed-subschema",
                                f"{keyword}: {_short(message)}: keyword ignored",
                                file, pointer((*owner, keyword))))
    return clean, findings


def _meta_errors(clean: Any, root: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """The draft-07 meta-schema's errors in the schema at ``root``: (path from payload, why)."""
    for error in _META.iter_errors(_get(clean, root)):
        yield (*root, *error.absolute_path), error.message


def jsonable(value: Any, depth: int = 0) -> Any:
    """A copy JSON can hold: string keys, no NaN or infinity (YAML allows both)."""
    if depth > 4 * MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {_json_key(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _json_key(key: Any) -> str:
    """A YAML key as JSON would spell it (``null:`` is "null", not Python's "None")."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return {None: "null", True: "true", False: "false"}[key]
    return str(key)


def _show(value: Any) -> str:
    text = repr(value)
    return f"a {type(value).__name__} {text[:60]}"


def _short(text: str) -> str:
    return text if len(text) <= 160 else text[:159] + "…"


# Schema nodes example_of visits at most: $refs can make a few lines of schema expand
# exponentially (each definition using the one before it twice) without ever repeating.
EXAMPLE_BUDGET = 10_000


def example_of(schema: Any, root: Any = None) -> Any:
    """The spec's own example: example, examples[0], const, default, enum[0], recursively.

    A ``$ref`` back into a schema it is already inside gives nothing (a tree's ``children``
    are left out, not unrolled), and a spec that would take more than ``EXAMPLE_BUDGET``
    nodes gets none: a cut example could break its own schema (``minItems``) and be
    reported as the spec's fault.
    """
    root = schema if root is None else root
    budget = [EXAMPLE_BUDGET]

    def build(node: Any, depth: int, inside: frozenset[int]) -> Any:
        budget[0] -= 1
        if not isinstance(node, dict) or depth > MAX_DEPTH or budget[0] < 0:
            return MISSING
        if "$ref" in node:
            target = resolve(root, node["$ref"])  # as _shape and the lint read it
            if target is MISSING or id(target) in inside:
                return MISSING
            return build(target, depth + 1, inside)
        inside = inside | {id(node)}  # every schema on the way down, however reached
        if "example" in node:
            return node["example"]
        if isinstance(node.get("examples"), list) and node["examples"]:
            return node["examples"][0]
        for key in ("const", "default"):
            if key in node:
                return node[key]
        if isinstance(node.get("enum"), list) and node["enum"]:
            return node["enum"][0]
        props = node.get("properties")
        if isinstance(props, dict):
            built = {}
            for name, sub in props.items():
                value = build(sub, depth + 1, inside)
                if value is not MISSING:
                    built[name] = value
            return built
        items = node.get("items")
        if isinstance(items, list):
            values = [build(s, depth + 1, inside) for s in items]
            return values[:values.index(MISSING)] if MISSING in values else values
        if isinstance(items, dict):
            value = build(items, depth + 1, inside)
            return MISSING if value is MISSING else [value]
        return MISSING

    example = build(schema, 0, frozenset({id(root)}))
    return MISSING if budget[0] < 0 else example


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
