"""The YAML 1.2 core-schema reader: 1.1 booleans and timestamps stay strings."""

from __future__ import annotations

import math

import pytest
import yaml

from viewer.specs.yaml12 import load


@pytest.mark.parametrize("text", ["YES", "NO", "yes", "no", "on", "off", "On", "OFF", "y", "n",
                                  "Y", "N"])
def test_yaml_1_1_booleans_stay_strings(text):
    assert load(f"v: {text}") == {"v": text}


@pytest.mark.parametrize("text", ["2024-01-01", "2024-01-01T10:00:00", "2024-01-01 10:00:00",
                                  "2024-10-14T15:09:54.123+01:00"])
def test_timestamps_stay_strings(text):
    assert load(f"v: {text}") == {"v": text}


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("False", False), ("TRUE", True), ("null", None), ("~", None), ("", None),
    ("12", 12), ("-3", -3), ("0o17", 15), ("0x1F", 31), ("1.5", 1.5), ("1e3", 1000.0),
    ("012", 12),  # 1.1 read this as octal 10
    ("12:30", "12:30"),  # 1.1 read this as sexagesimal 750
    ("1_000", "1_000"), ("0b11", "0b11"), ("+.5", 0.5),
])
def test_core_schema_scalars(text, value):
    assert load(f"v: {text}") == {"v": value}


def test_infinity_and_quoted_scalars():
    assert math.isinf(load("v: .inf")["v"])
    assert load("v: 'true'\nw: \"12\"") == {"v": "true", "w": "12"}


def test_bad_yaml_raises_yaml_error():
    with pytest.raises(yaml.YAMLError):
        load("a: [unclosed")


def test_arbitrary_tags_are_refused():
    with pytest.raises(yaml.YAMLError):
        load("!!python/object/apply:os.system ['true']")
