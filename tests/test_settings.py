"""Settings are declared once; the docs and the environment follow."""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer import docs, settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert docs.render(text) == text, "docs/settings.md is stale: run `make docs`"


def test_environment_parsing():
    values = settings.resolve(environ={"VIEWER_QUEUES": "a, b=c", "VIEWER_EMBEDDED": "yes",
                                       "VIEWER_PORT": "9"})
    assert values["QUEUES"] == ["a", "b=c"]
    assert values["EMBEDDED"] is True
    assert values["PORT"] == 9


def test_explicit_config_wins_over_environment():
    values = settings.resolve({"PORT": 1}, environ={"VIEWER_PORT": "9"})
    assert values["PORT"] == 1


@pytest.mark.parametrize("name,value", [("VIEWER_PORT", "x"), ("VIEWER_EMBEDDED", "maybe")])
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ValueError, match=name):
        settings.resolve(environ={name: value})
