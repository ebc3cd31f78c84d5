"""YAML read with the 1.2 core schema: ``YES``/``NO``/``on``/``off`` and timestamps stay strings.

PyYAML implements YAML 1.1, where ``NO`` (Norway) is false and ``2024-01-01`` is a date.
Specs are JSON Schema, so every scalar must mean what JSON would make of it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# libyaml scans and parses in C (about 10x faster); resolving tags stays in Python, ours.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Yaml12Loader(_Base):
    """SafeLoader (libyaml's when present) with the YAML 1.2 core schema's resolvers."""


Yaml12Loader.yaml_implicit_resolvers = {}

_CORE = (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", list("~nN") + [""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
     list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+.0123456789")),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
)
for _tag, _regexp, _first in _CORE:
    Yaml12Loader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


def _int(loader: Yaml12Loader, node: yaml.ScalarNode) -> int:
    # 1.2 spellings only: 0o17 and 0x1F; no 1.1 sexagesimal or 017 octal, no underscores.
    text = str(loader.construct_scalar(node))
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body.startswith("0o"):
        return sign * int(body[2:], 8)
    if body.startswith("0x"):
        return sign * int(body[2:], 16)
    return sign * int(body, 10)


def _float(loader: Yaml12Loader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


def _bool(loader: Yaml12Loader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


def _timestamp_as_text(loader: Yaml12Loader, node: yaml.ScalarNode) -> str:
    # An explicit !!timestamp tag is the only way left to ask for one; keep the text anyway.
    return str(loader.construct_scalar(node))


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _float)
Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", _bool)
Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


class Yaml12Dumper(yaml.SafeDumper):
    """SafeDumper that also quotes what the 1.2 core schema would not read back as a string.

    PyYAML quotes by 1.1 rules only, so ``1e5`` and ``0o17`` were written plain, and
    ``load`` read them back as numbers: the union of both schemas' resolvers quotes both.
    """


Yaml12Dumper.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()}
for _tag, _regexp, _first in _CORE:
    Yaml12Dumper.add_implicit_resolver(_tag, re.compile(_regexp), _first)


def dump(data: Any, **options: Any) -> str:
    """YAML text that both 1.1 and 1.2 readers read back as ``data``."""
    return yaml.dump(data, Dumper=Yaml12Dumper, **options)


# A spec of a few kilobytes holds a few thousand values; 4 MiB of YAML (the file limit)
# without aliases, well under a million. Aliases share one value among many places, and
# every consumer of a spec (lint, example, validation) expands them.
MAX_VALUES = 1_000_000


class AliasError(yaml.YAMLError):
    """Aliases that refer to themselves or expand past MAX_VALUES (a "billion laughs")."""


def load(text: str) -> Any:
    """Parse one YAML document with 1.2 core-schema rules (yaml.YAMLError on bad input)."""
    value = yaml.load(text, Loader=Yaml12Loader)  # noqa: S506 - a SafeLoader subclass
    check_expansion(value)
    return value


def check_expansion(value: Any, limit: int = MAX_VALUES) -> int:
    """How many values ``value`` holds with aliases expanded; AliasError past ``limit``.

    Each shared (aliased) value is counted once per place but walked once, so a bomb is
    found without expanding it; a value that contains itself is refused.
    """
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, dict | list):
            continue
        key = id(node)
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        if done:
            open_ids.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(c), 1) for c in children)
            if sizes[key] > limit:
                raise AliasError(f"aliases expand to more than {limit} values")
            continue
        if key in sizes:
            continue
        if key in open_ids:
            raise AliasError("an alias refers to a value that contains it (a cycle)")
        open_ids.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, dict | list)
                     and id(c) not in sizes)
    return sizes.get(id(value), 1)
