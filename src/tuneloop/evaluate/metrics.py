"""Classification metrics over one set of predictions: overall, per class and the confusion.

Per-slice metrics and intervals live in `slices.py` and `intervals.py`.

Macro averages run over the labels present in the gold data, so a label missing from a small
test file does not drag the average to zero. An invalid output is a wrong answer: it lowers
accuracy and the gold label's recall, and is counted in `invalid_rate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from tuneloop.evaluate.predict import Prediction

INVALID = "<invalid>"


def classification_metrics(predictions: list[Prediction], labels: list[str]) -> dict[str, Any]:
    n = len(predictions)
    if n == 0:
        return {
            "n": 0,
            "accuracy": None,
            "macro_precision": None,
            "macro_recall": None,
            "macro_f1": None,
            "invalid_rate": None,
            "per_class": {},
            "confusion": {"labels": [], "matrix": []},
        }
    gold = [p.gold or INVALID for p in predictions]
    pred = [p.predicted or INVALID for p in predictions]
    present = [label for label in labels if label in set(gold)]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, pred, labels=present, zero_division=0
    )
    # Columns: every label that was answered or expected, so each row sums to the label's support.
    answered = set(pred)
    columns = [label for label in labels if label in set(gold) or label in answered] + [INVALID]
    matrix = confusion_matrix(gold, pred, labels=columns)[[columns.index(label) for label in present]]
    return {
        "n": n,
        "accuracy": float(np.mean([p.correct for p in predictions])),
        "macro_precision": float(np.mean(precision)),
        "macro_recall": float(np.mean(recall)),
        "macro_f1": float(np.mean(f1)),
        "invalid_rate": pred.count(INVALID) / n,
        "per_class": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(present, precision, recall, f1, support, strict=True)
        },
        "confusion": {"labels": present, "columns": columns, "matrix": matrix.tolist()},
    }
