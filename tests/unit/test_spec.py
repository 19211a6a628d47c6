from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tuneloop.errors import SpecError
from tuneloop.spec import load_spec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "banking77"


def test_example_spec_loads_with_every_label_described() -> None:
    spec = load_spec(EXAMPLE)
    assert spec.objective.task == "classify"
    assert len(spec.labels) == 77 and all(label.description for label in spec.labels)
    assert [p.kind for p in spec.phases] == ["causal_lm", "sft"]
    assert spec.data.sources[0].path == EXAMPLE / "data" / "train.csv"
    assert spec.guidelines == EXAMPLE / "guidelines.md"
    assert spec.root == EXAMPLE


def _broken(project: Path, old: str, new: str, occurrence: int = 1) -> Path:
    """Replace the `occurrence`-th `old` in the project's spec with `new`."""
    path = project / "tuneloop.yaml"
    parts = path.read_text().split(old)
    assert len(parts) > occurrence, old
    path.write_text(old.join(parts[:occurrence]) + new + old.join(parts[occurrence:]))
    return project


def _line_of(project: Path, needle: str) -> int:
    lines = (project / "tuneloop.yaml").read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if needle in line)


def test_bad_learning_rate_names_field_reason_and_line(make_project: Callable[..., Path]) -> None:
    project = _broken(make_project(), "learning_rate: 0.003", "learning_rate: -1", occurrence=2)
    line = _line_of(project, "learning_rate: -1")
    with pytest.raises(SpecError) as err:
        load_spec(project)
    assert str(err.value) == f"phases[1].learning_rate: must be > 0 (tuneloop.yaml:{line})"


def test_every_problem_is_listed_with_its_line(make_project: Callable[..., Path]) -> None:
    project = _broken(make_project(), "task: classify", "task: clasify")
    _broken(project, "seed: 0", "seed: 0\ncolour: blue")
    with pytest.raises(SpecError) as err:
        load_spec(project)
    lines = str(err.value).splitlines()
    assert lines[0] == (
        "objective.task: must be one of 'classify' or 'generate' "
        f"(tuneloop.yaml:{_line_of(project, 'clasify')})"
    )
    assert lines[1] == (
        f"colour: is not a known field (check the spelling) (tuneloop.yaml:{_line_of(project, 'colour')})"
    )


def test_missing_data_file_is_reported_at_its_path(make_project: Callable[..., Path]) -> None:
    project = _broken(make_project(), "path: data/train.csv", "path: data/missing.csv")
    with pytest.raises(
        SpecError, match=r"data\.sources\[0\]\.path: file not found: .*missing\.csv \(tuneloop\.yaml:"
    ):
        load_spec(project)


def test_model_needs_exactly_one_of_base_or_build(make_project: Callable[..., Path]) -> None:
    project = _broken(make_project(), "build: tiny", "build: tiny\n  base: Qwen/Qwen2.5-0.5B-Instruct")
    with pytest.raises(SpecError, match=r"^model: set exactly one of base: .* or build: tiny"):
        load_spec(project)


def test_duplicate_labels_are_rejected(make_project: Callable[..., Path]) -> None:
    project = make_project()
    text = (project / "tuneloop.yaml").read_text()
    (project / "tuneloop.yaml").write_text(text + "- name: card_arrival\n")
    with pytest.raises(SpecError, match="repeated: card_arrival"):
        load_spec(project)


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


def test_a_slice_on_a_field_no_source_tags_is_refused(make_project: Callable[..., Path]) -> None:
    project = _broken(
        make_project(), "- name: length", "- name: channel\n    field: channel\n  - name: length"
    )
    with pytest.raises(SpecError, match=r"evaluation: slices\[0\]\.field 'channel' is not a slice field"):
        load_spec(project)


def test_unlabeled_sources_are_text_only(make_project: Callable[..., Path]) -> None:
    project = _broken(
        make_project(), "data:\n", "data:\n  unlabeled:\n  - path: data/train.csv\n    fields: {text: text}\n"
    )
    (unlabeled,) = load_spec(project).data.unlabeled
    assert unlabeled.fields.label is None and unlabeled.format == "csv"


def test_a_control_character_in_the_yaml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "tuneloop.yaml").write_text("objective:\n  name: x\x07\n")
    with pytest.raises(SpecError, match=r"^invalid YAML: .*\(tuneloop\.yaml\)$"):
        load_spec(tmp_path)


def test_empty_length_buckets_are_refused(make_project: Callable[..., Path]) -> None:
    project = _broken(make_project(), "length_words:", "length_words: []\n    old_words:")
    with pytest.raises(SpecError, match=r"evaluation\.slices\[0\]\.length_words: needs at least 1 item"):
        load_spec(project)


def test_a_label_without_letters_or_digits_is_refused(make_project: Callable[..., Path]) -> None:
    project = make_project()
    (project / "tuneloop.yaml").write_text((project / "tuneloop.yaml").read_text() + "- name: '?'\n")
    with pytest.raises(SpecError, match="label '\\?' has no letters or digits"):
        load_spec(project)


def test_gates_are_parsed_and_checked() -> None:
    from tuneloop.spec import Phase

    phase = Phase.model_validate(
        {"name": "task", "kind": "sft", "eval_every": 50, "gate": ["val.accuracy >= 0.6", "val.loss < 2"]}
    )
    assert [str(g) for g in phase.gate] == ["val.accuracy >= 0.6", "val.loss < 2"]
    assert [g.passes(a, g.threshold(None)) for g, a in zip(phase.gate, (0.61, 2.5), strict=True)] == [
        True,
        False,
    ]
    assert phase.selection_metric == "accuracy"


def test_a_general_set_gate_compares_with_the_previous_model() -> None:
    from tuneloop.spec import Phase

    phase = Phase.model_validate(
        {
            "name": "task",
            "kind": "sft",
            "gate": ["general.token_accuracy >= previous - 0.02", "general.loss < 4"],
        }
    )  # general-set gates need no eval_every: they are measured when the phase ends
    no_regression, absolute = phase.gate
    assert str(no_regression) == "general.token_accuracy >= previous - 0.02"
    assert no_regression.relative and no_regression.value == -0.02
    threshold = no_regression.threshold({"token_accuracy": 0.50})
    assert threshold == pytest.approx(0.48)
    assert no_regression.passes(0.485, threshold) and not no_regression.passes(0.47, threshold)
    assert no_regression.threshold(None) is None  # nothing measured before: nothing to compare with
    assert absolute.threshold({"loss": 9.0}) == 4 and not absolute.relative


@pytest.mark.parametrize(
    ("gate", "reason"),
    [
        ("general.accuracy >= 0.5", "general.accuracy: unknown metric"),
        ("val.accuracy >= previous", "`previous` compares general-set measurements only"),
        ("general.loss <= previous * 2", "write val.METRIC OP NUMBER"),
    ],
)
def test_bad_general_gates_are_refused(gate: str, reason: str) -> None:
    from pydantic import ValidationError

    from tuneloop.spec import Phase

    with pytest.raises(ValidationError, match=re.escape(reason)):
        Phase.model_validate({"name": "t", "kind": "sft", "eval_every": 5, "gate": [gate]})


def test_a_mix_from_unlabeled_needs_unlabeled_sources(make_project: Callable[..., Path]) -> None:
    project = _broken(make_project(), "inputs: 0.1", "unlabeled: 0.1")  # the example mixes task and inputs
    with pytest.raises(SpecError) as err:
        load_spec(project)
    assert str(err.value) == (
        "phases[1].mix: draws from unlabeled, but data.unlabeled lists no source "
        f"(tuneloop.yaml:{_line_of(project, 'mix:')})"
    )


def test_a_malformed_gate_names_the_form_and_its_line(make_project: Callable[..., Path]) -> None:
    project = _broken(
        make_project(), "weight_decay: 0.01", "weight_decay: 0.01\n  eval_every: 5\n  gate: [accuracy > 1]"
    )
    line = _line_of(project, "gate:")
    with pytest.raises(SpecError) as err:
        load_spec(project)
    assert str(err.value).startswith("phases[1].gate: gate[0] 'accuracy > 1': write val.METRIC OP NUMBER")
    assert str(err.value).endswith(f"(tuneloop.yaml:{line})")


def test_monitoring_needs_eval_every_and_a_scorable_phase(make_project: Callable[..., Path]) -> None:
    project = _broken(
        make_project(), "weight_decay: 0.01", "weight_decay: 0.01\n  early_stopping: {patience: 2}"
    )
    with pytest.raises(SpecError, match=re.escape("early_stopping and val.* gates need eval_every")):
        load_spec(project)
    project = _broken(project, "early_stopping: {patience: 2}", "eval_every: 5")
    load_spec(project)
    text = (project / "tuneloop.yaml").read_text()
    (project / "tuneloop.yaml").write_text(
        text.replace("kind: causal_lm", "kind: causal_lm\n  eval_every: 5\n  gate: ['val.accuracy > 0.5']", 1)
    )
    with pytest.raises(SpecError, match="a causal_lm phase produces no answers to score"):
        load_spec(project)


def test_the_real_model_example_is_a_valid_spec() -> None:
    spec = load_spec(EXAMPLE / "qwen-lora.yaml")
    assert spec.model.base == "Qwen/Qwen2.5-0.5B-Instruct" and spec.model.build is None
    assert all(p.lora is not None and p.lora.r == 16 for p in spec.phases)
    assert [str(g) for g in spec.phases[1].gate] == ["val.accuracy >= 0.8"]
    assert spec.label_names == load_spec(EXAMPLE).label_names


def test_annotation_defaults_to_the_project_sqlite_store_and_two_annotators(
    make_project: Callable[..., Path],
) -> None:
    project = make_project()
    spec = load_spec(project)
    assert (spec.annotation.overlap, spec.annotation.route_by_skill) == (2, False)
    assert spec.store_url == f"sqlite:///{spec.root / 'annotations.db'}"
    url = "postgresql+psycopg://tuneloop@db/tuneloop"
    project = _broken(project, "seed: 0", f"seed: 0\nannotation:\n  store_url: {url}\n  overlap: 3")
    spec = load_spec(project)
    assert (spec.store_url, spec.annotation.overlap) == (url, 3)


def test_an_overlap_below_two_names_its_line(make_project: Callable[..., Path]) -> None:
    project = _broken(make_project(), "seed: 0", "seed: 0\nannotation:\n  route_by_skill: true\n  overlap: 1")
    with pytest.raises(SpecError) as err:
        load_spec(project)
    assert (
        str(err.value)
        == f"annotation.overlap: must be >= 2 (tuneloop.yaml:{_line_of(project, 'overlap: 1')})"
    )
