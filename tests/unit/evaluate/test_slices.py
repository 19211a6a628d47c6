from __future__ import annotations

import numpy as np
import pytest

from tests.unit.evaluate.factories import prediction
from tuneloop.evaluate.intervals import encode, metric_values, with_intervals
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.slices import overall_intervals, slice_metrics, slice_value
from tuneloop.spec import Evaluation, EvaluationGate, SliceSpec

METRICS = ["accuracy", "macro_f1", "macro_recall", "macro_precision"]


def _random_predictions(n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    labels = ["a", "b", "c", "d"]
    out = []
    for i in range(n):
        gold = labels[rng.integers(0, 3)]  # "d" is never gold: it must not enter the macro averages
        guess = rng.integers(0, 6)
        predicted = labels[guess] if guess < 4 else (gold if guess == 4 else None)
        out.append(prediction(f"r{i}", gold, predicted))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_metrics_equal_sklearn(seed: int) -> None:
    predictions = _random_predictions(40, seed)
    expected = classification_metrics(predictions, ["a", "b", "c", "d"])
    data = encode(predictions, ["a", "b", "c", "d"])
    got = metric_values(data, np.arange(len(data))[None, :], METRICS)
    for metric in METRICS:
        assert got[metric][0] == pytest.approx(expected[metric])


def _over_the_full_label_set(predictions: list, picked: list[int], labels: list[str]) -> dict[str, float]:
    """By hand: a resample's macro averages over the labels of the whole set's gold, each label's
    ratio taken from the whole set where the resample leaves it 0/0."""
    present = [label for label in labels if label in {p.gold for p in predictions}]

    def parts(rows: list) -> dict[str, dict[str, tuple[int, int]]]:
        out = {}
        for label in present:
            right = sum(p.gold == label and p.predicted == label for p in rows)
            gold, said = sum(p.gold == label for p in rows), sum(p.predicted == label for p in rows)
            out[label] = {
                "macro_recall": (right, gold),
                "macro_precision": (right, said),
                "macro_f1": (2 * right, gold + said),
            }
        return out

    whole, drawn = parts(predictions), parts([predictions[i] for i in picked])

    def ratio(label: str, metric: str) -> float:
        top, bottom = drawn[label][metric] if drawn[label][metric][1] else whole[label][metric]
        return top / bottom if bottom else 0.0

    out = {m: float(np.mean([ratio(label, m) for label in present])) for m in METRICS[1:]}
    return {"accuracy": float(np.mean([predictions[i].correct for i in picked])), **out}


def test_each_resample_row_is_scored_over_the_whole_sets_labels() -> None:
    predictions = _random_predictions(30, 3)
    data = encode(predictions, ["a", "b", "c", "d"])
    rows = np.array([[0, 0, 5, 7, 9], [1, 2, 3, 3, 3], list(range(5))])
    got = metric_values(data, rows, METRICS)
    for k, picked in enumerate(rows):
        expected = _over_the_full_label_set(predictions, list(picked), ["a", "b", "c", "d"])
        for metric in METRICS:
            assert got[metric][k] == pytest.approx(expected[metric]), (k, metric)
    missing = {p.gold for i, p in enumerate(predictions) if i in rows[1]} != {"a", "b", "c"}
    assert missing  # the second row misses a label, which a subset's own average would drop


def test_intervals_hold_the_estimate_are_seeded_and_narrow_with_more_rows() -> None:
    small, large = _random_predictions(40, 0), _random_predictions(1000, 0)
    labels = ["a", "b", "c", "d"]
    first = with_intervals(encode(small, labels), ["accuracy"], 500, seed=7)
    again = with_intervals(encode(small, labels), ["accuracy"], 500, seed=7)
    wide = first["ci"]["accuracy"]
    assert first == again
    assert wide[0] <= first["accuracy"] <= wide[1] and wide[0] < wide[1]
    narrow = with_intervals(encode(large, labels), ["accuracy"], 500, seed=7)["ci"]["accuracy"]
    assert narrow[1] - narrow[0] < (wide[1] - wide[0]) / 2


def test_an_all_correct_set_has_a_point_interval_and_an_empty_one_has_none() -> None:
    perfect = [prediction(f"r{i}", "a", "a") for i in range(10)]
    assert with_intervals(encode(perfect, ["a"]), ["accuracy"], 100, 0)["ci"]["accuracy"] == [1.0, 1.0]
    assert with_intervals(encode([], ["a"]), ["accuracy"], 100, 0) == {
        "n": 0,
        "accuracy": None,
        "ci": {"accuracy": None},
    }


def test_slice_values_by_field_keywords_regex_and_length() -> None:
    p = prediction("1", "a", "a", text="My CARD was declined, £20 lost", channel="app")
    assert slice_value(p, SliceSpec(name="c", field="channel")) == "app"
    assert slice_value(p, SliceSpec(name="c", field="segment")) is None
    assert slice_value(p, SliceSpec(name="k", keywords=["card"])) == "match"  # any case
    assert slice_value(p, SliceSpec(name="k", keywords=["car"])) == "no match"  # whole words only
    assert slice_value(p, SliceSpec(name="k", keywords=["£20"])) == "match"  # symbols at the edges
    assert slice_value(p, SliceSpec(name="r", regex=r"\d+")) == "match"
    assert slice_value(p, SliceSpec(name="r", regex=r"card")) == "no match"  # as written: case counts
    assert slice_value(p, SliceSpec(name="r", regex=r"(?i)card")) == "match"
    assert slice_value(p, SliceSpec(name="l", length_words=[3, 5])) == "> 5 words"


def test_slice_metrics_give_n_intervals_and_too_small_marks_in_reading_order() -> None:
    predictions = [
        *(prediction(f"k{i}", "a", "a", text=f"card issue {i}", channel="app") for i in range(6)),
        *(prediction(f"o{i}", "b", "a" if i % 2 else "b", text="where is it " * 3) for i in range(4)),
    ]
    evaluation = Evaluation(
        metrics=["accuracy"],
        gates=[EvaluationGate(metric="macro_f1", min=0.1)],
        bootstrap=200,
        min_slice_size=5,
        slices=[
            SliceSpec(name="cards", keywords=["card"]),
            SliceSpec(name="channel", field="channel"),
            SliceSpec(name="length", length_words=[4, 8]),
        ],
    )
    result = slice_metrics(predictions, ["a", "b"], evaluation, seed=0)
    assert list(result["cards"]) == ["match", "no match"]
    match, other = result["cards"]["match"], result["cards"]["no match"]
    assert (match["n"], match["too_small"], match["accuracy"]) == (6, False, 1.0)
    assert (other["n"], other["too_small"], other["accuracy"]) == (4, True, 0.5)
    assert set(other["ci"]) == {"accuracy", "macro_f1"}  # the gate's metric is judged too
    assert other["ci"]["accuracy"][0] < 0.5 < other["ci"]["accuracy"][1]
    assert list(result["channel"]) == ["app"]  # rows without the tag are in no group
    assert list(result["length"]) == ["1-4 words", "> 8 words"]  # numeric order, empty buckets left out
    overall = overall_intervals(predictions, ["a", "b"], evaluation, seed=0)
    assert overall["accuracy"] is not None and overall["accuracy"][0] <= 0.8 <= overall["accuracy"][1]
