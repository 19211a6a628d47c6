"""The whole project spec: the example, and the labels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.spec.projects import EXAMPLE, line_of
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


def test_a_classify_task_without_labels_is_refused_with_its_line_and_a_way_out(
    make_project: Callable[..., Path],
) -> None:
    project = make_project()
    text = (project / "tuneloop.yaml").read_text()
    (project / "tuneloop.yaml").write_text(text[: text.index("labels:")])
    with pytest.raises(SpecError) as refused:
        load_spec(project)
    message = str(refused.value)
    assert message.startswith("labels: a classify task needs its labels and none are listed")
    assert "tuneloop init DIR --labels-from FILE" in message
    assert message.endswith(f"(tuneloop.yaml:{line_of(project, 'task: classify')})")  # what asks for them
    assert "\n" not in message


def test_one_label_is_too_few(make_project: Callable[..., Path]) -> None:
    project = make_project()
    text = (project / "tuneloop.yaml").read_text()
    (project / "tuneloop.yaml").write_text(text[: text.index("labels:")] + "labels: [card_arrival]\n")
    with pytest.raises(SpecError, match=r"^labels: a classify task needs at least 2 labels: list them"):
        load_spec(project)


def test_labels_may_be_plain_names(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=60, labels=3)
    text = (project / "tuneloop.yaml").read_text()
    plain = "labels: [card_arrival, card_linking, exchange_rate]\n"
    (project / "tuneloop.yaml").write_text(text[: text.index("labels:")] + plain)
    spec = load_spec(project)
    assert spec.label_names == ["card_arrival", "card_linking", "exchange_rate"]
    assert all(label.description == "" for label in spec.labels)


def test_a_label_neither_a_name_nor_a_mapping_gets_one_message(make_project: Callable[..., Path]) -> None:
    project = make_project()
    text = (project / "tuneloop.yaml").read_text()
    (project / "tuneloop.yaml").write_text(text[: text.index("labels:")] + "labels: [a, [b], 3]\n")
    with pytest.raises(SpecError) as refused:
        load_spec(project)
    assert str(refused.value).startswith("labels[1]: write a label as a name, or with name: and description:")
    assert "Label" not in str(refused.value) and "\n" not in str(refused.value)  # 3 is a name ("3")


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


def test_a_generate_task_monitors_an_sft_phase_by_its_text_metrics(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(objective={"name": "g", "task": "generate"}, evaluation={})
    text = (project / "tuneloop.yaml").read_text()
    (project / "tuneloop.yaml").write_text(text.replace("kind: sft\n", "kind: sft\n  eval_every: 4\n", 1))
    spec = load_spec(project)
    assert spec.phases[1].selection_metric("generate") == "chrf"
    gated = text.replace("kind: sft\n", "kind: sft\n  eval_every: 4\n  gate: [val.accuracy >= 0.5]\n", 1)
    (project / "tuneloop.yaml").write_text(gated)
    with pytest.raises(SpecError, match="accuracy"):
        load_spec(project)
