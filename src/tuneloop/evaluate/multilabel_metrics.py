"""Metrics of a multilabel task: label sets scored as indicator matrices (rows x labels), in numpy.

A label set is right or wrong label by label, so classification's one-label counts do not apply:
each row contributes a true positive, false positive or false negative per label. The metrics
follow scikit-learn's definitions (the tests check them against `f1_score`, `hamming_loss` and
`accuracy_score` on random indicator matrices, to 1e-12):

- per label: precision tp/(tp+fp), recall tp/(tp+fn), F1 2tp/(2tp+fp+fn) (0 where 0/0), support
  (gold rows holding the label);
- micro precision, recall and F1: the same ratios of the counts summed over the labels;
- macro_f1: the mean F1 over the labels present in the gold or the predicted sets of the rows. A
  label absent from both has F1 0/0: no evidence either way. Counting it as 0 would let the size
  of the schema move the number, counting it as 1 would reward what was never tried, so it is
  left out (scikit-learn: `f1_score(..., labels=the present ones, average="macro")`);
- exact_set: the share of rows whose predicted set is the gold set (subset accuracy);
- hamming_loss: the share of wrong (row, label) decisions.

An invalid output (no valid label set, `label_sets.py`) counts as the empty set: each of its gold
labels is missed and no label is extra. It is never an exact match, not even on a row whose gold
set is empty: an answer that is not a set is not right.

The bootstrap resamples rows: a resample is a row-count matrix, so every count is one matrix
product; the macro average keeps the point estimate's labels, a label whose F1 is 0/0 in a
resample counting at its value on all rows (as `intervals.py` does for classify).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tuneloop.errors import TuneloopError
from tuneloop.evaluate.extraction import field_scores
from tuneloop.evaluate.intervals import Scored, draw_counts, encode, macro_average, ratio_of
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.text_metrics import text_scores

#: The metrics of a multilabel task, in the order metrics.json and the report show them.
SET_METRICS = ("micro_f1", "macro_f1", "exact_set", "hamming_loss", "micro_precision", "micro_recall")
ERROR_EXAMPLES = 3  # texts kept per label for its missed and its extra predictions


@dataclass(frozen=True)
class Indicators:
    """Gold and predicted label sets as boolean matrices (rows x schema labels); `invalid` marks
    the rows whose output was no valid set (their predicted row is empty)."""

    gold: np.ndarray
    predicted: np.ndarray
    invalid: np.ndarray

    def __len__(self) -> int:
        return len(self.gold)

    def subset(self, mask: np.ndarray) -> Indicators:
        return Indicators(self.gold[mask], self.predicted[mask], self.invalid[mask])

    @property
    def right(self) -> np.ndarray:
        return np.asarray((self.gold == self.predicted).all(axis=1) & ~self.invalid)

    def values(self, rows: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
        return set_metric_values(self, rows, metrics)


def indicators(predictions: Sequence[Prediction], labels: Sequence[str]) -> Indicators:
    """The predictions' label sets over the schema `labels`."""
    index = {label: i for i, label in enumerate(labels)}
    gold = np.zeros((len(predictions), len(labels)), dtype=bool)
    predicted = np.zeros_like(gold)
    for row, p in enumerate(predictions):
        if p.gold_labels is None:
            raise TuneloopError(f"row {p.id}: no gold label set to score a multilabel prediction against")
        for matrix, chosen in ((gold, p.gold_labels), (predicted, p.predicted_labels or ())):
            unknown = [label for label in chosen if label not in index]
            if unknown:
                raise TuneloopError(f"row {p.id}: {', '.join(map(repr, unknown))} not labels of the spec")
            matrix[row, [index[label] for label in chosen]] = True
    invalid = np.array([p.predicted_labels is None for p in predictions], dtype=bool)
    return Indicators(gold, predicted, invalid)


def encode_rows(predictions: Sequence[Prediction], labels: Sequence[str]) -> Scored:
    """The rows as the intervals and paired tests take them: label sets for a multilabel task's
    predictions, a generate task's text statistics (`text_metrics.py`), an extract task's field
    counts (`extraction.py`), label indices for classify."""
    if predictions and predictions[0].references is not None:
        return text_scores(predictions)
    if predictions and predictions[0].field_counts is not None:
        return field_scores(list(predictions))
    if predictions and predictions[0].gold_labels is not None:
        return indicators(predictions, labels)
    return encode(predictions, labels)


def set_metric_values(data: Indicators, rows: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Each metric of `SET_METRICS` over each row of the index matrix `rows` (resamples x sample
    size)."""
    weights = draw_counts(rows, len(data))
    tp, fp, fn = _counts(data, weights)
    tp_all, fp_all, fn_all = _counts(data, np.ones((1, len(data))))
    present = np.asarray(data.gold.any(axis=0) | data.predicted.any(axis=0))
    drawn, n_labels = rows.shape[1], max(data.gold.shape[1], 1)
    micro_tp, micro_fp, micro_fn = tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1)
    formulas = {
        "micro_precision": lambda: ratio_of(micro_tp, micro_tp + micro_fp),
        "micro_recall": lambda: ratio_of(micro_tp, micro_tp + micro_fn),
        "micro_f1": lambda: ratio_of(2 * micro_tp, 2 * micro_tp + micro_fp + micro_fn),
        "macro_f1": lambda: macro_average(
            2 * tp, 2 * tp + fp + fn, (2 * tp_all, 2 * tp_all + fp_all + fn_all), present
        ),
        "exact_set": lambda: weights @ data.right.astype(float) / drawn,
        "hamming_loss": lambda: (
            weights @ (data.gold ^ data.predicted).sum(axis=1).astype(float) / (drawn * n_labels)
        ),
    }
    unknown = [m for m in metrics if m not in formulas]
    if unknown:
        raise TuneloopError(
            f"{', '.join(unknown)}: not metrics of a multilabel task ({', '.join(SET_METRICS)})"
        )
    return {metric: np.asarray(formulas[metric]()) for metric in metrics}


def _counts(data: Indicators, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, false positives and false negatives per resample and label."""
    gold, predicted = data.gold, data.predicted
    return (
        weights @ (gold & predicted).astype(float),
        weights @ (~gold & predicted).astype(float),
        weights @ (gold & ~predicted).astype(float),
    )


def label_set_metrics(predictions: list[Prediction], labels: list[str]) -> dict[str, Any]:
    """`n`, every metric of `SET_METRICS`, the invalid rate of the generated answers, and per
    label (present in the gold or predicted sets, schema order) precision, recall, F1, support,
    predicted rows, and the missed and extra predictions with a few example texts each."""
    n = len(predictions)
    if n == 0:
        return {"n": 0, **dict.fromkeys(SET_METRICS), "invalid_rate": None, "per_label": {}}
    data = indicators(predictions, labels)
    point = set_metric_values(data, np.arange(n)[None, :], SET_METRICS)
    tp, fp, fn = (c[0] for c in _counts(data, np.ones((1, n))))
    precision, recall, f1 = ratio_of(tp, tp + fp), ratio_of(tp, tp + fn), ratio_of(2 * tp, 2 * tp + fp + fn)
    per_label = {}
    for i, label in enumerate(labels):
        if not (data.gold[:, i].any() or data.predicted[:, i].any()):
            continue
        missed, extra = data.gold[:, i] & ~data.predicted[:, i], ~data.gold[:, i] & data.predicted[:, i]
        per_label[label] = {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(data.gold[:, i].sum()),
            "predicted": int(data.predicted[:, i].sum()),
            "missed": int(missed.sum()),
            "extra": int(extra.sum()),
            "missed_examples": [predictions[r].text for r in np.flatnonzero(missed)[:ERROR_EXAMPLES]],
            "extra_examples": [predictions[r].text for r in np.flatnonzero(extra)[:ERROR_EXAMPLES]],
        }
    return {
        "n": n,
        **{m: float(point[m][0]) for m in SET_METRICS},
        "invalid_rate": sum(p.answer_labels is None for p in predictions) / n,
        "per_label": per_label,
    }
