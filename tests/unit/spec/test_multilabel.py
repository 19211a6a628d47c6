"""The multilabel task in the spec: the example, the bounds, the names a canonical answer needs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.unit.spec.projects import broken
from tuneloop.errors import SpecError
from tuneloop.spec import load_spec

NLUPP = Path(__file__).resolve().parents[3] / "examples" / "nlupp-banking"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(NLUPP, tmp_path / "nlupp", ignore=shutil.ignore_patterns("runs")))


def test_the_nlupp_example_is_a_multilabel_task_with_every_intent_described_and_grouped() -> None:
    spec = load_spec(NLUPP)
    assert spec.objective.task == "multilabel"
    assert len(spec.labels) == 48 and all(label.description for label in spec.labels)
    assert {label.group for label in spec.labels} == {"general", "banking"}
    assert spec.label_bounds == (0, 48)
    assert spec.data.sources[0].fields.label == "intents"
    assert spec.splits.files is not None and spec.splits.files.validation is None
    assert spec.splits.files.test.path == NLUPP / "data" / "test.json"


def test_bounds_must_fit_the_labels(project: Path) -> None:
    broken(project, "min_labels: 0", "min_labels: 3\n  max_labels: 2")
    with pytest.raises(SpecError, match=r"^labels: .*min_labels \(3\) and max_labels \(2\) must satisfy "
                       r"0 <= min_labels <= max_labels <= the number of labels \(48\)"):  # fmt: skip
        load_spec(project)


def test_max_labels_beyond_the_schema_is_refused(project: Path) -> None:
    broken(project, "min_labels: 0", "max_labels: 49")
    with pytest.raises(SpecError, match=r"max_labels \(49\) must satisfy"):
        load_spec(project)


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        pytest.param(
            [("min_labels: 0", "min_labels: -1")],
            r"^objective\.min_labels: must be >= 0 \(tuneloop\.yaml:\d+\)",
            id="negative bounds, where they are written",
        ),
        pytest.param(
            [("- name: affirm", '- name: "affirm, yes"')],
            r"label 'affirm, yes' holds ',', the separator of a multilabel answer",
            id="a label holding the separator",
        ),
        pytest.param(
            [("- name: affirm", "- name: None")],
            r"label 'None' reads as 'none', the answer for no labels",
            id="a label reading as the empty answer",
        ),
        pytest.param(
            [("task: multilabel", "task: classify")],
            r"^objective: min_labels applies to task: multilabel only, not classify",
            id="bounds on a classify task",
        ),
        pytest.param(
            [
                ("min_labels: 0", ""),
                ("task: multilabel", "task: classify"),
                ("label: intents", "label: intents\n        label_delimiter: '|'"),
            ],
            r"sources\[0\]\.fields\.label_delimiter applies to task: multilabel only",
            id="a label delimiter without a multilabel task",
        ),
        pytest.param(
            [("min_label_rows: 10", "min_label_rows: 10\n  rebalance: upsample")],
            r"^quality: rebalance: upsample counts one label per row",
            id="rebalancing per label for label sets",
        ),
        pytest.param(
            [
                (
                    "    weight_decay: 0.01",
                    "    weight_decay: 0.01\n    eval_every: 50\n    gate: ['val.accuracy > 0.5']",
                )
            ],
            r"phase 'task' watches accuracy, which a multilabel task's monitor does not measure; "
            r"it measures micro_f1, macro_f1, exact_set, hamming_loss, invalid_rate and loss",
            id="a monitored phase watching a one-label metric",
        ),
    ],
)
def test_a_broken_multilabel_spec_is_refused_with_its_reason(
    project: Path, edits: list[tuple[str, str]], message: str
) -> None:
    for old, new in edits:
        broken(project, old, new)
    with pytest.raises(SpecError, match=message):
        load_spec(project)


def test_a_multilabel_task_is_scored_by_set_metrics_by_default(project: Path) -> None:
    assert load_spec(project).evaluation.metrics == ["micro_f1", "macro_f1", "exact_set"]


def test_its_gates_take_set_metrics_and_refuse_classify_ones(project: Path) -> None:
    spec = project / "tuneloop.yaml"
    text = spec.read_text()
    spec.write_text(
        text
        + "evaluation:\n  gates:\n    - {metric: micro_f1, min: 0.7}\n"
        + "    - {metric: exact_set, beats: tfidf_logreg}\n"
    )
    assert [g.metric for g in load_spec(project).evaluation.gates] == ["micro_f1", "exact_set"]
    spec.write_text(text + "evaluation:\n  gates:\n    - {metric: accuracy, min: 0.7}\n")
    with pytest.raises(
        SpecError,
        match=r"evaluation: gates\[0\]\.metric: accuracy is not a metric of a multilabel task; "
        r"its metrics are micro_f1, macro_f1, exact_set",
    ):
        load_spec(project)
    spec.write_text(text + "evaluation:\n  metrics: [micro_f1, macro_recall]\n")
    with pytest.raises(SpecError, match=r"metrics: macro_recall is not a metric of a multilabel task"):
        load_spec(project)
    spec.write_text(text + "evaluation:\n  gates:\n    - {metric: hamming_loss, min: 0.1}\n")
    with pytest.raises(SpecError, match=r"hamming_loss: lower is better, so no gate reads it"):
        load_spec(project)


def test_a_classify_task_refuses_set_metrics(tmp_path: Path) -> None:
    from tests.conftest import build_project

    project = build_project(tmp_path / "p", evaluation={"metrics": ["accuracy", "micro_f1"]})
    with pytest.raises(
        SpecError, match=r"metrics: micro_f1 is not a metric of a classify task; its metrics are accuracy"
    ):
        load_spec(project)


def test_a_dispute_distance_is_read_and_needs_label_sets(project: Path) -> None:
    spec = project / "tuneloop.yaml"
    spec.write_text(spec.read_text() + "\nannotation:\n  dispute_masi: 0.4\n")
    assert load_spec(project).annotation.dispute_masi == 0.4
    broken(project, "min_labels: 0", "")
    broken(project, "task: multilabel", "task: classify")
    with pytest.raises(SpecError, match=r"^annotation: dispute_masi compares label sets: .* not classify"):
        load_spec(project)
