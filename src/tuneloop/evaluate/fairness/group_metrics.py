"""Group metrics over the sensitive slices: fairlearn's MetricFrame on the discrete predictions.

For each slice named in `evaluation.fairness.sensitive`, the rows are grouped by their slice value
(rows without one are left out) and MetricFrame gives accuracy and macro recall per group, the
largest difference between groups and the smallest ratio (worst group / best group), each with a
bootstrap 95% interval (`evaluation.bootstrap` resamples, seeded). An invalid output counts as a
wrong answer, as everywhere else.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fairlearn.metrics import MetricFrame
from sklearn.metrics import accuracy_score, recall_score

from tuneloop.errors import TuneloopError
from tuneloop.evaluate.metrics import INVALID
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.slices import slice_value
from tuneloop.spec import SliceSpec

QUANTILES = [0.025, 0.975]


def macro_recall(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Recall averaged over the gold labels of the group, as in metrics.py (an invalid output is
    a miss, never a label of its own)."""
    return float(recall_score(y_true, y_pred, labels=np.unique(y_true), average="macro", zero_division=0))


METRICS = {"accuracy": accuracy_score, "macro_recall": macro_recall}


def group_metrics(
    predictions: list[Prediction],
    slices: list[SliceSpec],
    sensitive: list[str],
    resamples: int,
    seed: int = 0,
) -> dict[str, Any]:
    by_name = {s.name: s for s in slices}
    missing = [name for name in sensitive if name not in by_name]
    if missing:
        raise TuneloopError(
            f"evaluation.fairness.sensitive: {', '.join(map(repr, missing))} is not a slice "
            "in evaluation.slices"
        )
    return {name: _one_slice(predictions, by_name[name], resamples, seed) for name in sensitive}


def _one_slice(predictions: list[Prediction], spec: SliceSpec, resamples: int, seed: int) -> dict[str, Any]:
    valued = [(p, v) for p in predictions if (v := slice_value(p, spec)) is not None]
    groups = sorted({v for _, v in valued})
    if len(groups) < 2:
        return {"groups": {}, "note": f"{len(groups)} group(s) with rows: nothing to compare"}
    frame = MetricFrame(
        metrics=METRICS,
        y_true=np.array([p.gold or INVALID for p, _ in valued]),
        y_pred=np.array([p.predicted or INVALID for p, _ in valued]),
        sensitive_features=np.array([v for _, v in valued]),
        n_boot=resamples,
        ci_quantiles=QUANTILES,
        random_state=seed,
    )
    low, high = frame.by_group_ci
    sizes = {g: sum(v == g for _, v in valued) for g in groups}
    return {
        "groups": {
            str(g): {"n": sizes[g]}
            | {m: _interval(frame.by_group[m][g], low[m][g], high[m][g]) for m in METRICS}
            for g in frame.by_group.index
        },
        "difference": _summary(frame.difference(), frame.difference_ci()),
        "ratio": _summary(frame.ratio(), frame.ratio_ci()),
    }


def _summary(value: Any, ci: list[Any]) -> dict[str, dict[str, Any]]:
    return {m: _interval(value[m], ci[0][m], ci[1][m]) for m in METRICS}


def _interval(value: float, low: float, high: float) -> dict[str, Any]:
    return {"value": _number(value), "ci": [_number(low), _number(high)]}


def _number(value: float) -> float | None:
    return None if value is None or np.isnan(value) else float(value)
