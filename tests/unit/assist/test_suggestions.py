"""From probabilities to suggestions: the top label, or a label set within its bounds with the
probability of exactly that set; and the margin the uncertainty queue ranks by."""

from __future__ import annotations

import numpy as np
import pytest

from tuneloop.assist.suggestions import ProbabilitySource, margin, suggest
from tuneloop.errors import TuneloopError

CLASSES = ["a", "b", "c"]


def _source(scores: np.ndarray, multilabel: bool) -> ProbabilitySource:
    held = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.3, 0.2]])
    targets = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1]]) if multilabel else np.array([0, 1, 2, 1])
    return ProbabilitySource(
        "test", "test:1", CLASSES, multilabel, held, targets, "held", lambda texts: scores[: len(texts)], "x"
    )


def test_one_label_suggests_the_top_label_with_its_calibrated_probability() -> None:
    source = _source(np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]]), multilabel=False)
    (first, second), calibration = suggest(source, ["x", "y"])
    assert first.label == "b" and second.label == "a"
    assert first.probability == pytest.approx(first.probabilities["b"], abs=1e-6)
    assert first.probability == pytest.approx(calibration.apply(np.array([[0.1, 0.6, 0.3]]), False)[0, 1])
    assert sum(first.probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def test_a_label_set_keeps_its_bounds_and_the_probability_of_exactly_that_set() -> None:
    source = _source(np.array([[0.9, 0.8, 0.7], [0.1, 0.2, 0.3]]), multilabel=True)
    (many, none), _ = suggest(source, ["x", "y"], bounds=(1, 2))
    assert many.label == ("a", "b")  # three over 0.5, cut to the two likeliest
    assert none.label == ("c",)  # none over 0.5, topped up to one
    p = many.probabilities
    assert many.probability == pytest.approx(p["a"] * p["b"] * (1 - p["c"]), rel=1e-4)


def test_a_source_of_the_wrong_shape_is_refused() -> None:
    source = _source(np.array([[0.5, 0.5]]), multilabel=False)
    with pytest.raises(TuneloopError, match="shape"):
        suggest(source, ["x"])


def test_margin_is_the_gap_between_the_top_two_or_the_closest_call() -> None:
    assert margin({"a": 0.5, "b": 0.3, "c": 0.2}, False) == pytest.approx(0.2)
    assert margin({"a": 0.9, "b": 0.45}, True) == pytest.approx(0.1)


def test_the_baseline_scores_a_text_it_was_fitted_on_out_of_fold() -> None:
    from tuneloop.assist.suggest_baseline import fitted_source

    texts = [f"card {i} arrived late" for i in range(10)] + [f"exchange rate {i} today" for i in range(10)]
    labels = ["card"] * 10 + ["rate"] * 10
    source = fitted_source(texts, labels, ["card", "rate"], False, 0, "sources")
    probs = source.score([texts[3], "the exchange rate of the card"])
    assert np.allclose(probs[0], source.held_out[3])  # the fold model that never saw row 3
    assert probs[1].sum() == pytest.approx(1.0)
    assert not any(np.allclose(probs[1], row) for row in source.held_out)  # the full model
