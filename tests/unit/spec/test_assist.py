"""The assist section: the blind share, the anchoring gate and the queue, with their defaults and
bounds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.spec.projects import broken
from tuneloop.errors import SpecError
from tuneloop.spec import load_spec


def test_assist_defaults(make_project: Callable[..., Path]) -> None:
    assist = load_spec(make_project()).assist
    assert (assist.blind_share, assist.anchoring.max_delta, assist.anchoring.min_answers) == (0.2, 0.15, 20)
    assert assist.queue == "sequential"


def test_assist_settings_are_read(make_project: Callable[..., Path]) -> None:
    text = "seed: 0\nassist:\n  blind_share: 0.5\n  queue: uncertainty\n  anchoring:\n    max_delta: 0.1"
    assist = load_spec(broken(make_project(), "seed: 0", text)).assist
    assert (assist.blind_share, assist.queue, assist.anchoring.max_delta) == (0.5, "uncertainty", 0.1)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("blind_share: 1.5", "assist.blind_share: "),
        ("queue: newest", "assist.queue: "),
        ("anchoring:\n    max_delta: -0.1", "assist.anchoring.max_delta: "),
    ],
)
def test_bad_assist_settings_name_their_key(
    make_project: Callable[..., Path], setting: str, message: str
) -> None:
    project = broken(make_project(), "seed: 0", f"seed: 0\nassist:\n  {setting}")
    with pytest.raises(SpecError, match=message):
        load_spec(project)
