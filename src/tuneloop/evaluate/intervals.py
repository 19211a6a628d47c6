"""Bootstrap confidence intervals for the evaluation metrics, vectorised over resamples.

Every classification metric follows from three counts per label (gold, predicted, correct), so
a thousand resamples of a thousand rows cost a few `bincount`s instead of a thousand sklearn calls.
On all the rows the numbers equal `metrics.classification_metrics`: macro averages run over the
schema's labels present in the gold data, and an invalid output is wrong. A resample is scored over
that same label set, the point estimate's: a label the resample happens to miss (its recall, say,
is 0/0 there) counts with its value in the point estimate. Dropping it instead would average over
fewer labels than the estimate does, a bias that can put the whole interval beside the estimate.
Drawing one index matrix for two models scored on the same rows gives the paired bootstrap of
`compare.py`. The resampling, the intervals and the paired tests take any `Scored` rows: the
classify task's `Encoded` here, the label sets of `multilabel_metrics.Indicators`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from tuneloop.evaluate.predict import Prediction
from tuneloop.spec import Evaluation

CONFIDENCE = 0.95
_CELLS_PER_CHUNK = 2_000_000  # resamples x rows held in memory at once


class Scored(Protocol):
    """Scored rows of one model: what resampling, intervals and paired tests need of them."""

    def __len__(self) -> int: ...

    def subset(self, mask: np.ndarray) -> Scored: ...

    def values(self, rows: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
        """Each metric over each row of the index matrix `rows` (resamples x sample size)."""
        ...

    @property
    def right(self) -> np.ndarray:
        """Per row, whether the answer is wholly right (McNemar's test counts these)."""
        ...


@dataclass(frozen=True)
class Encoded:
    """Predictions as label indices; `n_labels` (one past the last label) marks an invalid output.

    The first `schema` indices are the labels asked for; the others are gold values outside them,
    rows that count but stay out of the macro averages (as in `metrics.py`)."""

    gold: np.ndarray
    predicted: np.ndarray
    n_labels: int
    schema: int

    def __len__(self) -> int:
        return len(self.gold)

    def subset(self, mask: np.ndarray) -> Encoded:
        return Encoded(self.gold[mask], self.predicted[mask], self.n_labels, self.schema)

    def values(self, rows: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
        return metric_values(self, rows, metrics)

    @property
    def right(self) -> np.ndarray:
        return np.asarray((self.gold == self.predicted) & (self.predicted != self.n_labels))


def encode(predictions: Sequence[Prediction], labels: Sequence[str]) -> Encoded:
    """Gold values outside `labels` get indices of their own, so they still count as rows."""
    index = {label: i for i, label in enumerate(labels)}
    for p in predictions:
        if p.gold is not None and p.gold not in index:
            index[p.gold] = len(index)
    invalid = len(index)
    gold = np.array([index.get(p.gold, invalid) if p.gold else invalid for p in predictions], dtype=np.int64)
    predicted = np.array([index.get(p.predicted or "", invalid) for p in predictions], dtype=np.int64)
    return Encoded(gold, predicted, invalid, len(labels))


def judged_metrics(evaluation: Evaluation) -> list[str]:
    """The spec's metrics, then any other metric a gate names: each gets intervals and tests."""
    return list(dict.fromkeys([*evaluation.metrics, *(g.metric for g in evaluation.gates)]))


def metric_values(data: Encoded, rows: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Each metric over each row of the index matrix `rows` (resamples x sample size), the macro
    averages over the labels of `data`'s own gold rows, each at its value on `data` where a row of
    `rows` leaves its ratio 0/0."""
    correct, gold_n, predicted_n, hits = _label_counts(data, rows)
    _, gold_all, predicted_all, hits_all = _label_counts(data, np.arange(len(data))[None, :])
    present = (gold_all[0] > 0) & (np.arange(data.n_labels) < data.schema)
    formulas = {
        "accuracy": lambda: correct.mean(axis=1),
        "macro_recall": lambda: macro_average(hits, gold_n, (hits_all, gold_all), present),
        "macro_precision": lambda: macro_average(hits, predicted_n, (hits_all, predicted_all), present),
        "macro_f1": lambda: macro_average(
            2 * hits, gold_n + predicted_n, (2 * hits_all, gold_all + predicted_all), present
        ),
    }
    return {metric: formulas[metric]() for metric in metrics}


def macro_average(
    numerator: np.ndarray, denominator: np.ndarray, on_all: tuple[np.ndarray, np.ndarray], present: np.ndarray
) -> np.ndarray:
    """Per resample, the mean over the labels of `present` (a mask over the columns) of numerator /
    denominator; a label whose ratio is 0/0 in a resample counts at its value on all the rows."""
    ratio = np.where(denominator > 0, ratio_of(numerator, denominator), ratio_of(*on_all))
    return np.asarray(ratio[:, present].sum(axis=1) / max(int(present.sum()), 1))


def _label_counts(data: Encoded, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Whether each drawn row is right, and per resample and label: gold, predicted and right rows."""
    resamples, width = rows.shape[0], data.n_labels + 1
    gold, predicted = data.gold[rows], data.predicted[rows]
    offsets = np.arange(resamples)[:, None] * width

    def per_label(values: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        flat = (values + offsets) if keep is None else (values + offsets)[keep]
        counts = np.bincount(flat.ravel(), minlength=resamples * width).reshape(resamples, width)
        return counts[:, : data.n_labels].astype(float)

    correct = (gold == predicted) & (predicted != data.n_labels)  # an invalid output is never right
    return correct, per_label(gold), per_label(predicted), per_label(gold, correct)


def draw_counts(rows: np.ndarray, n: int) -> np.ndarray:
    """How often each row is drawn in each resample: (resamples x n)."""
    resamples = rows.shape[0]
    flat = (rows + np.arange(resamples)[:, None] * n).ravel()
    return np.bincount(flat, minlength=resamples * n).reshape(resamples, n).astype(float)


def ratio_of(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def resample_rows(n: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Bootstrap index matrices over `n` rows, in chunks that keep memory bounded."""
    rng = np.random.default_rng(seed)
    chunk = max(1, _CELLS_PER_CHUNK // max(n, 1))
    for start in range(0, resamples, chunk):
        yield rng.integers(0, n, size=(min(chunk, resamples - start), n))


def bootstrap_samples(
    data: Scored, metrics: Sequence[str], resamples: int, seed: int
) -> dict[str, np.ndarray]:
    parts = [data.values(rows, metrics) for rows in resample_rows(len(data), resamples, seed)]
    return {m: np.concatenate([p[m] for p in parts]) for m in metrics}


def percentile_interval(samples: np.ndarray) -> list[float]:
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return [float(low), float(high)]


def with_intervals(data: Scored, metrics: Sequence[str], resamples: int, seed: int) -> dict[str, Any]:
    """The metrics of `data` with a percentile bootstrap 95% interval each; None when empty."""
    if len(data) == 0:
        return {"n": 0, **dict.fromkeys(metrics), "ci": dict.fromkeys(metrics)}
    point = data.values(np.arange(len(data))[None, :], metrics)
    samples = bootstrap_samples(data, metrics, resamples, seed)
    return {
        "n": len(data),
        **{m: float(point[m][0]) for m in metrics},
        "ci": {m: percentile_interval(samples[m]) for m in metrics},
    }
