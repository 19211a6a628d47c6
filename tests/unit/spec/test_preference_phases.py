"""kto and dpo phases in the spec: their preference settings and what they may not have."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tests.conftest import build_project
from tuneloop.errors import SpecError
from tuneloop.spec import Phase, PreferenceSpec, load_spec


def _phase(kind: str, **settings: Any) -> Phase:
    return Phase.model_validate({"name": "prefer", "kind": kind, **settings})


def test_a_preference_phase_gets_its_defaults_and_keeps_what_it_is_given() -> None:
    assert _phase("kto").preference == PreferenceSpec(sources=["feedback"], beta=0.1)
    given = _phase("dpo", preference={"sources": ["feedback", "data"], "beta": 0.3}).preference
    assert given is not None and given.sources == ["feedback", "data"] and given.beta == 0.3
    assert _phase("sft").preference is None


@pytest.mark.parametrize(
    ("kind", "settings", "message"),
    [
        (
            "sft",
            {"preference": {"beta": 0.2}},
            "phase 'prefer': preference: settings are for kto and dpo phases, not sft",
        ),
        ("kto", {"eval_every": 10}, "phase 'prefer' \\(kto\\) trains on preference rows .* drop eval_every"),
        ("dpo", {"mix": {"task": 1.0}}, "phase 'prefer' \\(dpo\\) .* judged by general.\\* gates"),
        (
            "kto",
            {"preference": {"desirable_weight": 1.2}},
            "give both desirable_weight and undesirable_weight",
        ),
        ("kto", {"preference": {"sources": ["served"]}}, "'feedback' or 'data'"),
        ("dpo", {"preference": {"beta": 0}}, "greater than 0"),
    ],
)
def test_preference_settings_that_cannot_work_are_refused(
    kind: str, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        _phase(kind, **settings)


def test_a_spec_error_names_the_phase(make_project: Callable[..., Path]) -> None:
    phases = [{"name": "likes", "kind": "kto", "eval_every": 5}]
    with pytest.raises(
        SpecError, match=r"phases\[0\]: phase 'likes' \(kto\) trains on preference rows .*tuneloop.yaml:\d+"
    ):
        load_spec(make_project(phases=phases))


def test_a_spec_says_when_it_trains_the_data_preference_rows(tmp_path: Path) -> None:
    feedback_only = [{"name": "likes", "kind": "kto"}]
    assert not load_spec(build_project(tmp_path / "a", phases=feedback_only)).trains_source_preferences
    both = [{"name": "pairs", "kind": "dpo", "preference": {"sources": ["feedback", "data"]}}]
    assert load_spec(build_project(tmp_path / "b", phases=both)).trains_source_preferences
