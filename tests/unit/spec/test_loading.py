"""Reading the spec file: YAML problems and the one message listing every validation problem with its line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.spec.projects import broken, line_of
from tuneloop.errors import SpecError
from tuneloop.spec import load_spec


def test_bad_learning_rate_names_field_reason_and_line(make_project: Callable[..., Path]) -> None:
    project = broken(make_project(), "learning_rate: 0.003", "learning_rate: -1", occurrence=2)
    line = line_of(project, "learning_rate: -1")
    with pytest.raises(SpecError) as err:
        load_spec(project)
    assert str(err.value) == f"phases[1].learning_rate: must be > 0 (tuneloop.yaml:{line})"


def test_every_problem_is_listed_with_its_line(make_project: Callable[..., Path]) -> None:
    project = broken(make_project(), "task: classify", "task: clasify")
    broken(project, "seed: 0", "seed: 0\ncolour: blue")
    with pytest.raises(SpecError) as err:
        load_spec(project)
    lines = str(err.value).splitlines()
    assert lines[0] == (
        "objective.task: must be one of 'classify', 'multilabel', 'generate' or 'extract' "
        f"(tuneloop.yaml:{line_of(project, 'clasify')})"
    )
    assert lines[1] == (
        f"colour: is not a known field (check the spelling) (tuneloop.yaml:{line_of(project, 'colour')})"
    )


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    (tmp_path / "tuneloop.yaml").write_text("objective:\n  name: x\n  task: [classify\n")
    with pytest.raises(SpecError, match=r"^invalid YAML: .*\(tuneloop\.yaml:\d+\)$"):
        load_spec(tmp_path)


def test_missing_spec_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path)


def test_a_spec_that_is_not_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "tuneloop.yaml").write_text("- just\n- a list\n")
    with pytest.raises(SpecError, match="must be a mapping"):
        load_spec(tmp_path)


def test_a_control_character_in_the_yaml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "tuneloop.yaml").write_text("objective:\n  name: x\x07\n")
    with pytest.raises(SpecError, match=r"^invalid YAML: .*\(tuneloop\.yaml\)$"):
        load_spec(tmp_path)
