"""The whole project spec: the example, and the labels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.spec.projects import EXAMPLE
from tuneloop.errors import SpecError
from tuneloop.spec import load_spec


def test_example_spec_loads_with_every_label_described() -> None:
    spec = load_spec(EXAMPLE)
    assert spec.objective.task == "classify"
    assert len(spec.labels) == 77 and all(label.description for label in spec.labels)
    assert [p.kind for p in spec.phases] == ["causal_lm", "sft"]
    assert spec.data.sources[0].path == EXAMPLE / "data" / "train.csv"
    assert spec.guidelines == EXAMPLE / "guidelines.md"
    assert spec.root == EXAMPLE


def test_duplicate_labels_are_rejected(make_project: Callable[..., Path]) -> None:
    project = make_project()
    text = (project / "tuneloop.yaml").read_text()
    (project / "tuneloop.yaml").write_text(text + "- name: card_arrival\n")
    with pytest.raises(SpecError, match="repeated: card_arrival"):
        load_spec(project)


def test_a_classify_task_without_labels_is_refused(make_project: Callable[..., Path]) -> None:
    project = make_project()
    text = (project / "tuneloop.yaml").read_text()
    (project / "tuneloop.yaml").write_text(text[: text.index("labels:")])
    with pytest.raises(SpecError, match=r"^labels: a classify task needs at least 2 labels"):
        load_spec(project)


def test_labels_that_differ_only_in_case_or_punctuation_are_refused(
    make_project: Callable[..., Path],
) -> None:
    project = make_project()
    (project / "tuneloop.yaml").write_text(
        (project / "tuneloop.yaml").read_text() + "- name: Card Arrival.\n"
    )
    with pytest.raises(
        SpecError, match=r"'card_arrival' and 'Card Arrival\.' differ only in case or punctuation"
    ):
        load_spec(project)


def test_a_label_without_letters_or_digits_is_refused(make_project: Callable[..., Path]) -> None:
    project = make_project()
    (project / "tuneloop.yaml").write_text((project / "tuneloop.yaml").read_text() + "- name: '?'\n")
    with pytest.raises(SpecError, match="label '\\?' has no letters or digits"):
        load_spec(project)
