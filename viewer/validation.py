"""Compiled JSON Schema validators and the verdict on a message (envelope, then its spec).

jsonschema-rs is the engine (compiled once per schema, exact instance and schema paths);
the ``jsonschema`` package checks schemas themselves and is the fallback engine for a
schema jsonschema-rs cannot compile. Views and the websocket never import either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import jsonschema
import jsonschema_rs

from viewer.message import INVALID, UNKNOWN, UNPARSEABLE, VALID, Validation
from viewer.resources import resource_path

if TYPE_CHECKING:
    from viewer.specs.registry import Spec, SpecRegistry

MAX_ERROR_MESSAGE = 300
MAX_ERRORS = 50

_RFC3339 = re.compile(  # ASCII digits only: \d would take any script's digits
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"([Zz]|[+-]([0-9]{2}):([0-9]{2}))\Z"
)


def is_rfc3339(value: object) -> bool:
    """True for an RFC 3339 ``date-time`` (offset required); non-strings pass, as in JSON Schema.

    The same rule as jsonschema-rs's own ``date-time`` (the fast engine checks it in Rust;
    this is the reference engine's): ASCII digits, a real calendar day (year 0000 included),
    and a leap second only at 23:59:60 UTC.
    """
    if not isinstance(value, str):
        return True
    if len(value) > 40:  # longer than any date-time: no need to remember it
        return _rfc3339(value)
    return _rfc3339_cached(value)


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _rfc3339(value: str) -> bool:
    m = _RFC3339.match(value)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    if not 1 <= month <= 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if day > _DAYS[month - 1] + (month == 2 and leap):
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    offset = 0
    if m.group(9) is not None:
        off_hour, off_minute = int(m.group(9)), int(m.group(10))
        if off_hour > 23 or off_minute > 59:
            return False
        offset = (off_hour * 60 + off_minute) * (-1 if m.group(8)[0] == "-" else 1)
    # A leap second is inserted at the end of a UTC day: 23:59:60 once the offset is taken off.
    return second < 60 or (hour * 60 + minute - offset) % 1440 == 23 * 60 + 59


# The envelope and the spec both check a message's occurredAt: the second check is free.
_rfc3339_cached = lru_cache(maxsize=1024)(_rfc3339)


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    checker = jsonschema.FormatChecker(formats=list(checker.checkers))
    checker.checkers["date-time"] = (is_rfc3339, ())
    return checker


FORMAT_CHECKER = _format_checker()


def pointer(parts: Iterable[Any]) -> str:
    """An RFC 6901 JSON pointer from path parts."""
    if type(parts) is not list:
        parts = list(parts)
    if not parts:
        return ""
    try:
        joined = "/".join(parts)  # the usual case: names only (every error has two paths)
    except TypeError:  # array indices among them
        parts = [p if type(p) is str else str(p) for p in parts]
        joined = "/".join(parts)
    if "~" not in joined and joined.count("/") == len(parts) - 1:
        return "/" + joined  # nothing to escape
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in parts)


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_MESSAGE else text[: MAX_ERROR_MESSAGE - 1] + "…"


class CompiledSchema:
    """One JSON Schema (draft-07), compiled once and reused for every message."""

    def __init__(self, schema: Any, label: str) -> None:
        self.schema = schema
        self.label = label  # "envelope" or "spec": the ``schema`` member of its errors
        self.engine = "jsonschema-rs"
        self.compile_error: str | None = None
        self._rs: Any = None
        self._py: jsonschema.Draft7Validator | None = None
        try:
            # offline: a spec's remote $ref is never fetched (no requests made on its say-so)
            self._rs = jsonschema_rs.Draft7Validator(
                schema, validate_formats=True, ignore_unknown_formats=True, offline=True,
            )
        except Exception as exc:  # a regex or $ref jsonschema-rs refuses: use the reference engine
            self.compile_error = str(exc)
            self.engine = "jsonschema"
            self._py = jsonschema.Draft7Validator(schema, format_checker=FORMAT_CHECKER)
        # The engine's own test, called twice per message: jsonschema-rs's may raise where
        # ``is_valid`` would say False (the judge catches it, then ``errors`` explains).
        self.check = self._rs.is_valid if self._rs is not None else self.is_valid

    def is_valid(self, instance: Any) -> bool:
        """Whether ``instance`` passes; False, never an exception, when it cannot be told."""
        if self._rs is not None:
            try:
                return self._rs.is_valid(instance)
            except Exception:  # noqa: BLE001 - ``errors`` explains what went wrong
                return False
        return not self.errors(instance)

    def errors(self, instance: Any, failed: bool = False) -> list[dict[str, Any]]:
        """Every error as ``{schema, pointer, message, keyword, schemaPath}``; never raises.

        ``failed``: the caller has seen ``check`` fail, so no quick test first. A schema the
        engine can compile but not apply (a ``$ref`` or regex the reference engine only
        meets while validating) gives one ``schema`` error at the root.
        """
        try:
            return self._errors(instance, failed)
        except RecursionError:
            return [self._error("", "too deeply nested to validate", "maxDepth", "")]
        except Exception as exc:  # noqa: BLE001 - a broken spec must not stop the consumer
            return [self._error("", f"the schema could not be applied: {exc}", "schema", "")]

    def _errors(self, instance: Any, failed: bool) -> list[dict[str, Any]]:
        if self._rs is not None:
            if not failed and self._rs.is_valid(instance):
                return []
            out = []
            for e in self._rs.iter_errors(instance):
                out.extend(self._from_rs(e, instance))
                if len(out) >= MAX_ERRORS:
                    break
            return out
        assert self._py is not None
        out = []
        for e in self._py.iter_errors(instance):
            out.extend(self._from_py(e, instance))
            if len(out) >= MAX_ERRORS:
                break
        return out

    def _error(self, ptr: str, message: str, keyword: str, schema_path: str) -> dict[str, Any]:
        return {"schema": self.label, "pointer": ptr, "message": _short(message),
                "keyword": keyword, "schemaPath": schema_path}

    def _from_rs(self, e: Any, root: Any) -> list[dict[str, Any]]:
        path = list(e.instance_path)
        spath = list(e.schema_path)
        keyword = str(spath[-1]) if spath else ""
        kind = e.kind
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.FalseSchema):
            if keyword == "additionalProperties":
                # With no properties beside it, the engine says only "False schema does not
                # allow <a value>": name every member that is not allowed, as it does otherwise.
                names = _unexpected(_at(self.schema, spath[:-1]), _at(root, path))
                if names:
                    return [self._error(pointer([*path, name]),
                                        f"{name!r} is not allowed (additionalProperties)",
                                        keyword, pointer(spath)) for name in names]
            else:
                keyword = "false"  # a ``false`` subschema: no keyword of its own failed
        if keyword == "required":
            # Point where the missing member should be (contract: "/version").
            name = kind.property
            return [self._error(pointer([*path, name]), f"{name!r} is a required property",
                                keyword, pointer(spath))]
        if keyword == "additionalProperties" and getattr(kind, "unexpected", None):
            return [self._error(pointer([*path, name]),
                                f"{name!r} is not allowed (additionalProperties)",
                                keyword, pointer(spath)) for name in kind.unexpected]
        return [self._error(pointer(path), e.message, keyword, pointer(spath))]

    def _from_py(self, e: jsonschema.ValidationError, root: Any) -> list[dict[str, Any]]:
        path = list(e.absolute_path)
        spath = list(e.absolute_schema_path)
        keyword = "false" if e.validator is None else str(e.validator)
        if keyword == "additionalProperties" and isinstance(e.instance, dict):
            names = _unexpected(e.schema, e.instance)
            if names:
                return [self._error(pointer([*path, name]),
                                    f"{name!r} is not allowed (additionalProperties)",
                                    keyword, pointer(spath)) for name in names]
        if keyword == "required" and isinstance(e.instance, dict):
            missing = [n for n in e.validator_value if n not in e.instance]
            name = next((n for n in missing if repr(n) in e.message), missing[:1] or [""])
            name = name if isinstance(name, str) else name[0]
            return [self._error(pointer([*path, name]), e.message, keyword, pointer(spath))]
        return [self._error(pointer(path), e.message, keyword, pointer(spath))]


def _at(value: Any, path: list[Any]) -> Any:
    """The part of a JSON value at ``path`` (None when it is not there)."""
    for part in path:
        if isinstance(value, dict):
            value = value.get(str(part))
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def _unexpected(schema: Any, instance: Any) -> list[str]:
    """Members of ``instance`` that neither ``properties`` nor ``patternProperties`` allow."""
    if not isinstance(schema, dict) or not isinstance(instance, dict):
        return []
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    patterns = schema.get("patternProperties")
    patterns = list(patterns) if isinstance(patterns, dict) else []
    out = []
    for name in instance:
        if name in props:
            continue
        try:
            if any(re.search(p, name) for p in patterns):
                continue
        except re.error:
            continue  # a pattern Python cannot read: do not blame the member
        out.append(name)
    return out


@cache
def envelope_schema() -> dict[str, Any]:
    """The envelope contract, ``schema/hmpps-domain-event.json``."""
    with open(resource_path("schema", "hmpps-domain-event.json"), encoding="utf-8") as fh:
        return json.load(fh)


class Judge:
    """Gives every message its verdict: envelope first, then the spec of its event type."""

    def __init__(self, registry: SpecRegistry | None = None,
                 envelope: dict[str, Any] | None = None) -> None:
        self.envelope = CompiledSchema(envelope or envelope_schema(), "envelope")
        self.registry = registry

    def spec_for(self, body: Any, attribute_type: str | None) -> Spec | None:
        """The spec registered for the body's ``eventType``, else the attribute's."""
        if self.registry is None:
            return None
        by_type = self.registry.index.by_type
        body_type = body.get("eventType") if isinstance(body, dict) else None
        spec = by_type.get(body_type) if isinstance(body_type, str) else None
        if spec is None and isinstance(attribute_type, str):
            spec = by_type.get(attribute_type)
        return spec

    def passing(self, body: dict[str, Any]) -> Validation | None:
        """The shared verdict of a body that passes the envelope and the spec registered
        for its own ``eventType``, without warnings; None when ``judge`` must look closer."""
        body_type = body.get("eventType")
        spec = self.registry.index.by_type.get(body_type) \
            if self.registry is not None and type(body_type) is str else None
        if spec is None:
            return None
        try:
            passed = self.envelope.check(body) and spec.validator.check(body)
        except Exception:  # noqa: BLE001 - judge() says what went wrong
            passed = False
        return spec.valid_verdict if passed else None

    def judge(self, body: Any, parse_error: str | None, attribute_type: str | None,
              warnings: tuple[str, ...] = ()) -> Validation:
        """The verdict on a parsed body (``parse_error`` set when the text was not JSON)."""
        if parse_error is not None:
            return Validation(UNPARSEABLE, ({
                "schema": "envelope", "pointer": "", "message": _short(parse_error),
                "keyword": "json", "schemaPath": ""},), None, warnings)
        spec = self.spec_for(body, attribute_type)
        try:
            envelope_ok = self.envelope.check(body)
        except Exception:  # noqa: BLE001 - errors() below says what went wrong
            envelope_ok = False
        try:
            spec_ok = spec is None or spec.validator.check(body)
        except Exception:  # noqa: BLE001 - errors() below says what went wrong
            spec_ok = False
        if envelope_ok and spec_ok:  # the common case: no error to explain
            if spec is None:
                loaded = self.registry is not None and self.registry.loaded
                return Validation(UNKNOWN if loaded else VALID, (), None, warnings)
            if warnings:
                return Validation(VALID, (), spec.description, warnings)
            return spec.valid_verdict  # one verdict object per spec
        errors = [] if envelope_ok else self.envelope.errors(body, failed=True)
        spec_info = None
        if spec is not None:
            if not spec_ok:
                errors += spec.validator.errors(body, failed=True)
            spec_info = spec.description
            for error in errors:
                if spec.is_fault(error):
                    error["specFault"] = True
        if errors:
            status = INVALID
        elif spec is None and self.registry is not None and self.registry.loaded:
            status = UNKNOWN
        else:
            status = VALID
        return Validation(status, tuple(errors), spec_info, warnings)
