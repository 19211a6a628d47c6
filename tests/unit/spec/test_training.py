"""The model and the phases: gates, mixtures, monitoring."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.unit.spec.projects import EXAMPLE, broken, line_of
from tuneloop.errors import SpecError
from tuneloop.spec import Phase, load_spec
from tuneloop.spec.training import EarlyStopping


def test_model_needs_exactly_one_of_base_or_build(make_project: Callable[..., Path]) -> None:
    project = broken(make_project(), "build: tiny", "build: tiny\n  base: Qwen/Qwen2.5-0.5B-Instruct")
    with pytest.raises(SpecError, match=r"^model: set exactly one of base: .* or build: tiny"):
        load_spec(project)


def test_gates_are_parsed_and_checked() -> None:
    phase = Phase.model_validate(
        {"name": "task", "kind": "sft", "eval_every": 50, "gate": ["val.accuracy >= 0.6", "val.loss < 2"]}
    )
    assert [str(g) for g in phase.gate] == ["val.accuracy >= 0.6", "val.loss < 2"]
    assert [g.passes(a, g.threshold(None)) for g, a in zip(phase.gate, (0.61, 2.5), strict=True)] == [
        True,
        False,
    ]
    assert phase.selection_metric("classify") == "accuracy"
    assert phase.selection_metric("multilabel") == "micro_f1"
    stopped = phase.model_copy(update={"early_stopping": EarlyStopping(metric="hamming_loss")})
    assert stopped.selection_metric("multilabel") == "hamming_loss"


def test_a_general_set_gate_compares_with_the_previous_model() -> None:
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
    with pytest.raises(ValidationError, match=re.escape(reason)):
        Phase.model_validate({"name": "t", "kind": "sft", "eval_every": 5, "gate": [gate]})


def test_a_mix_from_unlabeled_needs_unlabeled_sources(make_project: Callable[..., Path]) -> None:
    project = broken(make_project(), "inputs: 0.1", "unlabeled: 0.1")  # the example mixes task and inputs
    with pytest.raises(SpecError) as err:
        load_spec(project)
    assert str(err.value) == (
        "phases[1].mix: draws from unlabeled, but data.unlabeled lists no source "
        f"(tuneloop.yaml:{line_of(project, 'mix:')})"
    )


def test_a_malformed_gate_names_the_form_and_its_line(make_project: Callable[..., Path]) -> None:
    project = broken(
        make_project(), "weight_decay: 0.01", "weight_decay: 0.01\n  eval_every: 5\n  gate: [accuracy > 1]"
    )
    line = line_of(project, "gate:")
    with pytest.raises(SpecError) as err:
        load_spec(project)
    assert str(err.value).startswith("phases[1].gate: gate[0] 'accuracy > 1': write val.METRIC OP NUMBER")
    assert str(err.value).endswith(f"(tuneloop.yaml:{line})")


def test_monitoring_needs_eval_every_and_a_scorable_phase(make_project: Callable[..., Path]) -> None:
    project = broken(
        make_project(), "weight_decay: 0.01", "weight_decay: 0.01\n  early_stopping: {patience: 2}"
    )
    with pytest.raises(SpecError, match=re.escape("early_stopping and val.* gates need eval_every")):
        load_spec(project)
    project = broken(project, "early_stopping: {patience: 2}", "eval_every: 5")
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
