from __future__ import annotations

import pytest
from statsmodels.stats.contingency_tables import mcnemar

from tests.unit.evaluate.factories import scored
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.compare import compare_predictions, comparison_targets, holm, mcnemar_p
from tuneloop.spec import Evaluation, SliceSpec

EVALUATION = Evaluation(metrics=["accuracy", "macro_f1"], bootstrap=300, min_slice_size=20)


def test_mcnemar_exact_matches_the_binomial_by_hand() -> None:
    assert mcnemar_p(0, 5) == pytest.approx(2 * 0.5**5)
    assert mcnemar_p(9, 1) == pytest.approx(2 * (1 + 10) / 2**10)  # P(X <= 1), X ~ Bin(10, 1/2)
    assert mcnemar_p(4, 4) == 1.0
    assert mcnemar_p(0, 0) == 1.0


@pytest.mark.parametrize(("b", "c"), [(0, 0), (3, 0), (10, 2), (7, 7), (1, 12), (40, 25)])
def test_mcnemar_matches_statsmodels(b: int, c: int) -> None:
    expected = mcnemar([[5, b], [c, 5]], exact=True).pvalue
    assert mcnemar_p(b, c) == pytest.approx(expected)


def test_holm_steps_down_and_stays_monotone() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_a_clear_drop_is_significant_and_the_same_model_is_not() -> None:
    before = scored([i % 10 != 0 for i in range(200)])  # 90% right
    after = scored([i % 2 == 0 for i in range(200)])  # 50% right
    tests = {t["metric"]: t for t in compare_predictions(after, before, ["a", "b"], EVALUATION)}
    accuracy = tests["accuracy"]
    assert accuracy["difference"] == pytest.approx(-0.4)
    assert accuracy["test"] == "McNemar exact" and accuracy["p_holm"] < 1e-6
    assert accuracy["ci"][1] < 0 < 0.5  # the whole interval of the difference is below zero
    assert tests["macro_f1"]["test"] == "paired bootstrap" and tests["macro_f1"]["p"] < 0.01
    same = compare_predictions(before, before, ["a", "b"], EVALUATION)
    assert [t["metric"] for t in same] == ["accuracy", "macro_f1"]
    assert all(t["difference"] == 0 and t["p"] == 1.0 and t["p_holm"] == 1.0 for t in same)


def test_slices_large_enough_are_tested_and_holm_adjusts_the_whole_family() -> None:
    current, other = scored([i % 3 != 0 for i in range(60)]), scored([True] * 60)
    for i, p in enumerate(current[:25]):  # the first 25 rows mention a card: a slice of 25
        current[i] = p.__class__(p.id, "my card", p.gold, p.output, p.predicted)
        other[i] = other[i].__class__(p.id, "my card", other[i].gold, other[i].output, other[i].predicted)
    evaluation = EVALUATION.model_copy(update={"slices": [SliceSpec(name="card", keywords=["card"])]})
    tests = compare_predictions(current, other, ["a", "b"], evaluation)
    scopes = {t["scope"] for t in tests}
    assert scopes == {"overall", "slice card=match", "slice card=no match"}  # both groups >= 20 rows
    assert len(tests) == 6
    assert all(t["p_holm"] >= t["p"] for t in tests)
    assert max(t["p_holm"] / t["p"] for t in tests if t["p"] < 1) > 1  # adjusted, not copied


def test_models_scored_on_different_rows_are_refused() -> None:
    with pytest.raises(TuneloopError, match="not scored on the same rows"):
        compare_predictions(scored([True] * 4), scored([True] * 4, prefix="x"), ["a", "b"], EVALUATION)


def test_targets_are_base_earlier_phases_and_the_previous_round() -> None:
    phases = [{"name": "general", "model_dir": "/r/p1"}, {"name": "task", "model_dir": "/r/p2"}]
    targets = comparison_targets("/base", phases, ("run-001", "/old/model"))
    assert [(t.name, t.kind, t.model, t.against) for t in targets] == [
        ("base", "base", "/base", ["base"]),
        ("phase-1-general", "phase", "/r/p1", ["previous_phase"]),
        ("previous-round-run-001", "previous_round", "/old/model", ["previous_round"]),
    ]
    only = comparison_targets("/base", phases[1:], None)
    assert [(t.name, t.against) for t in only] == [("base", ["base", "previous_phase"])]
