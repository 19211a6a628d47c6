"""The presence threshold of a multilabel task: tuned on validation, applied to test, and the
micro-averaged precision-recall curve it is chosen from.

Presence scores (`label_sets.py`) are not calibrated probabilities, so 0.5 need not be the best
cut. `tune_threshold` picks, on the validation split's scores, the threshold of highest micro-F1
(every (row, label) decision pooled); among thresholds that tie, 0.5 when it is one of them, else
the one nearest 0.5. The test split is then decided at that threshold, and its metrics at 0.5 are
kept beside (`at_0.5`), so the gain of tuning is a number, not a claim. The curve pools every
(row, label) pair the same way (scikit-learn's `precision_recall_curve` on the flattened
matrices) and keeps at most `CURVE_POINTS` points for the report's plot; each label with a gold
row gets its own curve (at most `LABEL_CURVE_POINTS` points) and average precision, since a
pooled curve hides the rare labels that a single threshold serves worst.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve

from tuneloop.evaluate.label_sets import decide
from tuneloop.evaluate.multilabel_metrics import SET_METRICS, indicators, label_set_metrics
from tuneloop.evaluate.predict import Prediction

DEFAULT = 0.5
CURVE_POINTS = 200
LABEL_CURVE_POINTS = 50
_TIE = 1e-12


def score_matrix(predictions: list[Prediction], labels: list[str]) -> np.ndarray | None:
    """Presence scores as a (rows x labels) matrix; None when the predictions have none."""
    if not predictions or any(p.label_scores is None for p in predictions):
        return None
    return np.array([[(p.label_scores or {})[label] for label in labels] for p in predictions])


def tune_threshold(predictions: list[Prediction], labels: list[str]) -> float:
    """The threshold of highest micro-F1 on these predictions' scores (ties: 0.5, else nearest 0.5)."""
    scores = score_matrix(predictions, labels)
    if scores is None:
        return DEFAULT
    return best_threshold(indicators(predictions, labels).gold.ravel(), scores.ravel())


def best_threshold(gold: np.ndarray, flat: np.ndarray) -> float:
    """The threshold of highest micro-F1 over pooled (row, label) pairs: 0/1 `gold`, scores `flat`."""
    candidates = np.unique(np.append(flat, DEFAULT))
    order = np.argsort(-flat, kind="stable")
    # Decisions at each candidate t are the pairs with score >= t: counted by a sorted search.
    ranked_scores, ranked_gold = flat[order], gold[order]
    positives = np.concatenate([[0], np.cumsum(ranked_gold)])
    taken = np.searchsorted(-ranked_scores, -candidates, side="right")
    tp = positives[taken]
    f1 = np.divide(2 * tp, taken + gold.sum(), out=np.zeros(len(candidates)), where=(taken + gold.sum()) > 0)
    best = f1.max()
    tied = candidates[f1 >= best - _TIE]
    return float(DEFAULT if np.any(tied == DEFAULT) else tied[np.argmin(np.abs(tied - DEFAULT))])


def precision_recall(predictions: list[Prediction], labels: list[str]) -> dict[str, Any] | None:
    """The micro-averaged precision-recall curve (at most `CURVE_POINTS` points) and its average
    precision, and under `labels` each label's own (for labels with a gold row); None without
    scores or without a gold label to find."""
    scores = score_matrix(predictions, labels)
    gold = indicators(predictions, labels).gold if scores is not None else None
    if scores is None or gold is None or not gold.any():
        return None
    per_label = {
        label: _curve(gold[:, i], scores[:, i], LABEL_CURVE_POINTS)
        for i, label in enumerate(labels)
        if gold[:, i].any()
    }
    return {**_curve(gold.ravel(), scores.ravel(), CURVE_POINTS, thresholds=True), "labels": per_label}


def _curve(gold: np.ndarray, scores: np.ndarray, points: int, thresholds: bool = False) -> dict[str, Any]:
    """One precision-recall curve thinned to `points` points, with its average precision."""
    precision, recall, cuts = precision_recall_curve(gold, scores)
    keep = np.unique(np.linspace(0, len(cuts) - 1, min(points, len(cuts))).round().astype(int))
    curve = {
        "precision": precision[keep].tolist(),
        "recall": recall[keep].tolist(),
        "average_precision": float(average_precision_score(gold, scores)),
    }
    return curve | ({"thresholds": cuts[keep].tolist()} if thresholds else {})


def decided_at(
    predictions: list[Prediction], labels: list[str], bounds: tuple[int, int], threshold: float
) -> list[Prediction]:
    return [decide(p, labels, bounds, threshold) for p in predictions]


def threshold_report(
    predictions: list[Prediction],
    labels: list[str],
    bounds: tuple[int, int],
    threshold: float,
    tuned_on: str | None,
) -> dict[str, Any]:
    """`threshold` (the value, where it was tuned, the metrics at 0.5) and the curve, for a split
    whose predictions were decided at `threshold`."""
    at_half = label_set_metrics(decided_at(predictions, labels, bounds, DEFAULT), labels)
    return {
        "threshold": {
            "value": threshold,
            "tuned_on": tuned_on,
            "rule": "the threshold of highest micro-F1 on the validation split's presence scores "
            "(ties: 0.5, else the nearest to 0.5)",
            "at_0.5": {k: at_half[k] for k in ("n", *SET_METRICS)},
        },
        "pr_curve": precision_recall(predictions, labels),
    }
