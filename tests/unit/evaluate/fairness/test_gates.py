from __future__ import annotations

from typing import Any

import pytest

from tuneloop.evaluate.fairness.gates import fairness_verdicts
from tuneloop.spec import FairnessSpec


def _result(flip_rate: float | None, difference: float | None) -> dict[str, Any]:
    family = {
        "rows": 0 if flip_rate is None else 100,
        "flipped": int((flip_rate or 0) * 100),
        "flip_rate": flip_rate,
    }
    groups = (
        {"channel": {"groups": {}, "note": "1 group(s) with rows: nothing to compare"}}
        if difference is None
        else {"channel": {"difference": {"accuracy": {"value": difference, "ci": [0.0, 0.2]}}}}
    )
    return {"counterfactual": {"families": {"gender": family}}, "groups": groups}


@pytest.mark.parametrize(("rate", "passed"), [(0.01, True), (0.02, True), (0.03, False)])
def test_flip_rate_gate_both_ways(rate: float, passed: bool) -> None:
    [verdict] = fairness_verdicts(_result(rate, None), FairnessSpec(max_flip_rate=0.02))
    assert verdict.passed is passed and verdict.scope == "family gender"
    assert f"{int(rate * 100)} of 100" in verdict.detail


@pytest.mark.parametrize(("difference", "passed"), [(0.04, True), (0.06, False)])
def test_accuracy_difference_gate_both_ways(difference: float, passed: bool) -> None:
    [verdict] = fairness_verdicts(_result(None, difference), FairnessSpec(max_accuracy_difference=0.05))
    assert verdict.passed is passed and verdict.scope == "slice channel"
    assert f"{difference:.3f}" in verdict.detail


def test_nothing_to_measure_passes_and_says_so() -> None:
    spec = FairnessSpec(max_flip_rate=0.0, max_accuracy_difference=0.0)
    verdicts = fairness_verdicts(_result(None, None), spec)
    assert [v.passed for v in verdicts] == [True, True]
    assert "nothing to check" in verdicts[0].detail and "nothing to compare" in verdicts[1].detail


def test_no_thresholds_no_verdicts() -> None:
    assert fairness_verdicts(_result(0.5, 0.5), FairnessSpec()) == []
