"""The collapse alarm and the `beats` gate, from hand-made predictions (no model, no training)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.unit.evaluate.factories import prediction
from tuneloop.evaluate.baselines import Baselines
from tuneloop.evaluate.collapse import collapse_alarm
from tuneloop.evaluate.gates import evaluation_verdicts
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.spec import Evaluation, EvaluationGate

LABELS = ["a", "b", "c", "d"]
GATES = [EvaluationGate(beats="majority"), EvaluationGate(beats="majority", metric="macro_f1", p=0.01)]
EVALUATION = Evaluation(bootstrap=200, gates=GATES)


def _gold(n: int = 120) -> list[str]:
    """Gold labels, `a` the commonest (40%), the rest 20% each."""
    return [["a", "a", "b", "c", "d"][i % 5] for i in range(n)]


def _model(answers: Sequence[str | None]) -> list[Prediction]:
    return [
        prediction(f"r{i}", g, a) for i, (g, a) in enumerate(zip(_gold(len(answers)), answers, strict=True))
    ]


def _judged(model: list[Prediction]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The split's metrics as the run writes them (majority label `a`), and the collapse check."""
    baselines = Baselines(majority="a", tfidf=None).report(model, LABELS, EVALUATION, seed=0)
    metrics = {**classification_metrics(model, LABELS), "baselines": baselines}
    return metrics, collapse_alarm(model, baselines["majority"])


def test_one_label_for_every_row_raises_the_alarm_and_fails_beats_majority() -> None:
    model = _model(["a"] * 120)  # the majority label itself: 0.400 accuracy, no information
    metrics, collapse = _judged(model)
    assert collapse["alarm"] and collapse["distinct_predictions"] == 1 and collapse["labels_expected"] == 4
    assert collapse["entropy_bits"] == 0.0 and abs(collapse["expected_entropy_bits"] - 1.922) < 1e-3
    assert collapse["reasons"][0] == "one label for every row: 'a' for 120 of 120 rows"
    assert "does not beat the majority baseline ('a' for every row: 0.400)" in collapse["reasons"][1]
    verdicts = evaluation_verdicts({"test": metrics}, None, EVALUATION)
    assert [v.passed for v in verdicts] == [False, False]
    assert verdicts[0].gate == "accuracy beats majority (p < 0.05)" and verdicts[0].scope == "overall (test)"
    assert (
        "majority 0.400 -> this model 0.400 (+0.000" in verdicts[0].detail and "McNemar" in verdicts[0].detail
    )


def test_a_good_model_raises_no_alarm_and_beats_majority() -> None:
    model = _model([g if i % 10 else "b" for i, g in enumerate(_gold())])  # 0.9 accuracy
    metrics, collapse = _judged(model)
    assert not collapse["alarm"] and collapse["reasons"] == [] and collapse["distinct_predictions"] == 4
    assert [v.passed for v in evaluation_verdicts({"test": metrics}, None, EVALUATION)] == [True, True]


def test_answers_spread_over_too_few_labels_or_too_little_entropy_raise_it() -> None:
    two = _model([g if g in ("a", "b") else "a" for g in _gold()])  # 2 of 4 labels: not under half
    assert not any("distinct labels" in r for r in collapse_alarm(two, None)["reasons"])
    labels = [f"l{i}" for i in range(10)]
    gold = [labels[i % 10] for i in range(100)]
    few = [prediction(f"r{i}", g, g if g in labels[:4] else "l0") for i, g in enumerate(gold)]
    [reason] = [r for r in collapse_alarm(few, None)["reasons"] if "distinct" in r]
    assert reason.startswith("only 4 distinct labels predicted for the 10 the rows hold")
    mostly = _model(["a"] * 110 + ["b", "c", "d"] * 3 + ["a"])  # 4 labels, but 0.50 bits of 1.92
    [reason] = collapse_alarm(mostly, None)["reasons"]
    assert reason.startswith("the answers' entropy is 0.") and "under half the gold labels' 1.92" in reason


def test_a_gain_over_the_majority_that_could_be_noise_raises_it() -> None:
    answers: list[str | None] = ["a"] * 120
    answers[2], answers[3] = "b", "c"  # two more right answers: 0.417 against 0.400, p = 0.5
    _, collapse = _judged(_model(answers))
    [reason] = [r for r in collapse["reasons"] if "majority" in r]
    assert "0.417" in reason and "p = 0.5" in reason


def test_no_label_at_all_and_rows_of_one_label() -> None:
    assert collapse_alarm(_model([None] * 10), None)["reasons"] == ["no output of the 10 rows was a label"]
    single = [prediction(f"r{i}", "a", "a") for i in range(10)]
    assert collapse_alarm(single, None) == {
        "distinct_predictions": 1,
        "labels_expected": 1,
        "entropy_bits": 0.0,
        "expected_entropy_bits": 0.0,
        "alarm": False,
        "reasons": [],
    }


def test_a_beats_gate_without_baselines_fails_saying_so() -> None:
    [verdict, _] = evaluation_verdicts(
        {"test": classification_metrics(_model(["a"] * 10), LABELS)}, None, EVALUATION
    )
    assert not verdict.passed and "the majority baseline was not scored on accuracy" in verdict.detail
