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


def load(text: str) -> Any:
    """Parse one YAML document with 1.2 core-schema rules (yaml.YAMLError on bad input)."""
    return yaml.load(text, Loader=Yaml12Loader)  # noqa: S506 - a SafeLoader subclass
