"""Every evaluation gate in both directions, from hand-made predictions and real comparisons."""

from __future__ import annotations

from typing import Any

from tests.unit.evaluate.factories import scored
from tuneloop.evaluate.compare import compare_predictions
from tuneloop.evaluate.gates import evaluation_verdicts
from tuneloop.spec import Evaluation, EvaluationGate


def _evaluation(*gates: EvaluationGate) -> Evaluation:
    return Evaluation(metrics=["accuracy"], bootstrap=200, min_slice_size=10, gates=list(gates))


def _comparisons(
    current: list[bool], other: list[bool], against: list[str], ev: Evaluation
) -> dict[str, Any]:
    tests = compare_predictions(scored(current), scored(other), ["a", "b"], ev)
    return {"split": "test", "targets": [{"name": "base", "against": against, "tests": tests}]}


def test_a_floor_passes_at_or_above_and_fails_below() -> None:
    ev = _evaluation(EvaluationGate(metric="accuracy", min=0.7))
    [passed] = evaluation_verdicts(
        {"test": {"n": 50, "accuracy": 0.7, "ci": {"accuracy": [0.6, 0.8]}}}, None, ev
    )
    assert passed.passed and passed.gate == "accuracy >= 0.7" and "95% CI 0.600-0.800" in passed.detail
    [failed] = evaluation_verdicts({"test": {"n": 50, "accuracy": 0.69}}, None, ev)
    assert not failed.passed and failed.scope == "overall (test)"
    [unmeasured] = evaluation_verdicts({"validation": {"n": 50, "accuracy": 0.9}}, None, ev)
    assert not unmeasured.passed and "not evaluated" in unmeasured.detail


def test_a_significant_drop_beyond_the_limit_fails() -> None:
    ev = _evaluation(EvaluationGate(metric="accuracy", max_drop=0.03, against="base", p=0.05))
    before, after = [True] * 100, [i % 5 != 0 for i in range(100)]  # 1.00 -> 0.80
    [verdict] = evaluation_verdicts({}, _comparisons(after, before, ["base"], ev), ev)
    assert not verdict.passed
    assert verdict.scope == "overall vs base" and "1.000 -> 0.800 (-0.200" in verdict.detail


def test_no_drop_or_an_improvement_passes() -> None:
    ev = _evaluation(EvaluationGate(metric="accuracy", max_drop=0.03, against="base"))
    [verdict] = evaluation_verdicts(
        {}, _comparisons([True] * 100, [i % 2 == 0 for i in range(100)], ["base"], ev), ev
    )
    assert verdict.passed and "+0.500" in verdict.detail


def test_a_large_drop_that_could_be_noise_passes() -> None:
    ev = _evaluation(EvaluationGate(metric="accuracy", max_drop=0.03, against="base", p=0.05))
    before, after = [True] * 12, [True] * 10 + [False] * 2  # -0.167, but McNemar p = 0.5
    [verdict] = evaluation_verdicts({}, _comparisons(after, before, ["base"], ev), ev)
    assert verdict.passed and "p = 0.5" in verdict.detail


def test_a_significant_drop_within_the_limit_passes() -> None:
    ev = _evaluation(EvaluationGate(metric="accuracy", max_drop=0.25, against="base", p=0.05))
    before, after = [True] * 100, [i % 5 != 0 for i in range(100)]  # -0.20, highly significant
    [verdict] = evaluation_verdicts({}, _comparisons(after, before, ["base"], ev), ev)
    assert verdict.passed


def test_a_missing_previous_round_passes_saying_so_but_missing_comparisons_fail() -> None:
    ev = _evaluation(EvaluationGate(metric="accuracy", max_drop=0.03, against="previous_round"))
    [none_yet] = evaluation_verdicts({}, _comparisons([True] * 20, [True] * 20, ["base"], ev), ev)
    assert none_yet.passed and "no previous round" in none_yet.detail
    [never_compared] = evaluation_verdicts({}, None, ev)
    assert not never_compared.passed and "tuneloop evaluate --run RUN --gate" in never_compared.detail
