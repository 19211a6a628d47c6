"""Every bootstrap interval holds its point estimate, on the small, imbalanced sets where a
resample misses labels: overall, per slice, and for the paired differences of `compare.py`."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.evaluate.factories import prediction
from tuneloop.evaluate.compare import compare_predictions
from tuneloop.evaluate.intervals import encode, with_intervals
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.slices import overall_intervals, slice_metrics
from tuneloop.spec import Evaluation, SliceSpec

METRICS = ["accuracy", "macro_f1", "macro_recall", "macro_precision"]
EVALUATION = Evaluation(
    metrics=METRICS, bootstrap=200, min_slice_size=1, slices=[SliceSpec(name="half", field="half")]
)
SETS = 120


def _imbalanced(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Labels with Zipf-like counts: one or two large ones and a long tail of single rows."""
    labels = [f"l{i}" for i in range(int(rng.integers(2, 40)))]
    counts = np.minimum(rng.zipf(1.6, size=len(labels)), 30)
    return labels, [label for label, count in zip(labels, counts, strict=True) for _ in range(count)]


def _model(rng: np.random.Generator, labels: list[str], gold: list[str]) -> list[Prediction]:
    """A constant answer, one right on the first label only, or a noisy one with invalid outputs."""
    kind, accuracy = int(rng.integers(3)), float(rng.random())
    out = []
    for i, answer in enumerate(gold):
        draw = rng.random()
        if kind == 0:
            guess: str | None = labels[0]
        elif kind == 1:
            guess = answer if answer == labels[0] or draw < accuracy else labels[0]
        else:
            guess = (
                answer if draw < accuracy else None if draw > 0.9 else labels[int(rng.integers(len(labels)))]
            )
        out.append(prediction(f"r{i}", answer, guess, half=str(i % 2)))
    return out


def _holds(interval: list[float] | None, value: float) -> bool:
    assert interval is not None
    return interval[0] - 1e-12 <= value <= interval[1] + 1e-12


@pytest.mark.parametrize("chunk", range(4))
def test_every_interval_holds_its_estimate_overall_and_per_slice(chunk: int) -> None:
    for seed in range(chunk, SETS, 4):
        rng = np.random.default_rng(seed)
        labels, gold = _imbalanced(rng)
        predictions = _model(rng, labels, gold)
        point = classification_metrics(predictions, labels)
        overall = overall_intervals(predictions, labels, EVALUATION, seed)
        for metric in METRICS:
            assert _holds(overall[metric], point[metric]), (seed, metric, point[metric], overall[metric])
        for half, group in slice_metrics(predictions, labels, EVALUATION, seed)["half"].items():
            expected = classification_metrics([p for p in predictions if p.slices["half"] == half], labels)
            for metric in METRICS:
                assert group[metric] == pytest.approx(expected[metric])
                assert _holds(group["ci"][metric], group[metric]), (seed, half, metric, group)


@pytest.mark.parametrize("chunk", range(4))
def test_every_paired_interval_holds_the_observed_difference(chunk: int) -> None:
    for seed in range(chunk, SETS, 4):
        rng = np.random.default_rng(seed)
        labels, gold = _imbalanced(rng)
        mine, theirs = _model(rng, labels, gold), _model(rng, labels, gold)
        for test in compare_predictions(mine, theirs, labels, EVALUATION, seed):
            assert _holds(test["ci"], test["difference"]), (seed, test)


def test_a_constant_model_over_many_rare_labels_keeps_its_macro_recall_inside() -> None:
    """The case reported: one answer for every row, 48 labels, most of them one or two rows."""
    labels = [f"l{i}" for i in range(48)]
    predictions = [prediction(f"r{i}", labels[i % 48] if i < 96 else "l0", "l0") for i in range(118)]
    result = with_intervals(encode(predictions, labels), METRICS, 1000, 0)
    assert result["macro_recall"] == pytest.approx(1 / 48)
    assert result["ci"]["macro_recall"] == pytest.approx([1 / 48, 1 / 48])  # l0 always right, the rest never
    for metric in METRICS:
        assert _holds(result["ci"][metric], result[metric])


def test_a_gold_value_outside_the_labels_counts_as_a_row_but_not_in_the_macro_averages() -> None:
    predictions = [
        prediction("1", "a", "a"),
        prediction("2", "zzz", "a"),
        prediction("3", "b", None),
        prediction("4", "zzz", None),
    ]
    expected = classification_metrics(predictions, ["a", "b"])
    got = with_intervals(encode(predictions, ["a", "b"]), METRICS, 10, 0)
    for metric in METRICS:
        assert got[metric] == pytest.approx(expected[metric])
