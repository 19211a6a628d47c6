"""The data section: sources and unlabeled text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.spec.projects import broken
from tuneloop.errors import SpecError
from tuneloop.spec import load_spec


def test_missing_data_file_is_reported_at_its_path(make_project: Callable[..., Path]) -> None:
    project = broken(make_project(), "path: data/train.csv", "path: data/missing.csv")
    with pytest.raises(
        SpecError, match=r"data\.sources\[0\]\.path: file not found: .*missing\.csv \(tuneloop\.yaml:"
    ):
        load_spec(project)


def test_unlabeled_sources_are_text_only(make_project: Callable[..., Path]) -> None:
    project = broken(
        make_project(), "data:\n", "data:\n  unlabeled:\n  - path: data/train.csv\n    fields: {text: text}\n"
    )
    (unlabeled,) = load_spec(project).data.unlabeled
    assert unlabeled.fields.label is None and unlabeled.format == "csv"


@pytest.mark.parametrize("value", ["x", "2", "[1]"])
def test_a_data_section_that_is_not_a_mapping_is_a_clear_error(
    make_project: Callable[..., Path], value: str
) -> None:
    project = make_project()
    spec_file = project / "tuneloop.yaml"
    lines = spec_file.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("data:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" "))
    spec_file.write_text("\n".join([*lines[:start], f"data: {value}", *lines[end:]]) + "\n")
    with pytest.raises(SpecError, match=r"^data: .*\(tuneloop\.yaml:\d+\)"):
        load_spec(project)
