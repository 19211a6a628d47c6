from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.fairness.counterfactual import counterfactual, wilson_interval
from tuneloop.evaluate.predict import Prediction
from tuneloop.lexicons import BUILT_IN, Swapper


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (1, 200), (57, 120)])
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    assert wilson_interval(k, n) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-9)


@pytest.mark.parametrize("n", range(1, 60))
def test_the_interval_holds_the_rate_exactly_at_none_and_at_all(n: int) -> None:
    """At 0 of 7 the formula gives 5.6e-17 as the lower bound; a plot of rate - low then failed."""
    assert wilson_interval(0, n)[0] == 0.0 and wilson_interval(n, n)[1] == 1.0
    low, high = wilson_interval(n // 3, n)
    assert low <= n // 3 / n <= high


def _example(text: str, label: str) -> Example:
    return Example(build_messages(text, label, None), label, "x")


def test_flip_rate_accuracy_change_and_flipped_rows() -> None:
    """A 'model' that answers `refund` whenever it reads "she": every swap to "she" flips it."""
    examples = [
        _example("he wants a refund", "refund"),
        _example("he lost the card", "lost_card"),
        _example("his card is lost", "lost_card"),
        _example("no group term here", "lost_card"),
    ]

    def predict(rows: list[Example]) -> list[Prediction]:
        guess = ["refund" if "she" in e.text or "refund" in e.text else "lost_card" for e in rows]
        return [Prediction(e.id, e.text, e.label, g, g) for e, g in zip(rows, guess, strict=True)]

    originals = {p.id: p for p in predict(examples)}
    result = counterfactual(examples, originals, [Swapper.of("gender", BUILT_IN["gender"])], predict)
    gender = result["families"]["gender"]
    assert gender["rows"] == 3  # the row without a term is not swapped
    assert gender["flipped"] == 1 and gender["flip_rate"] == pytest.approx(1 / 3)
    assert gender["accuracy"] == 1.0 and gender["accuracy_swapped"] == pytest.approx(2 / 3)
    assert gender["accuracy_change"] == pytest.approx(-1 / 3)
    assert gender["mcnemar"] == {"right_only_before": 1, "right_only_after": 0}
    assert gender["p_value"] == 1.0
    low, high = gender["flip_rate_ci"]
    assert low < 1 / 3 < high
    [flip] = gender["flips"]
    assert flip["text"] == "he lost the card" and flip["swapped_text"] == "she lost the card"
    assert (flip["predicted"], flip["predicted_swapped"], flip["gold"]) == (
        "lost_card",
        "refund",
        "lost_card",
    )
    assert flip["id"] == examples[1].id


def test_a_family_with_no_terms_reports_no_rows() -> None:
    examples = [_example("plain text", "a")]
    result = counterfactual(examples, {}, [Swapper.of("age", BUILT_IN["age"])], lambda rows: [])
    assert result["families"]["age"]["rows"] == 0 and result["families"]["age"]["flip_rate"] is None
