"""What a multilabel evaluation shows beyond its headline: the labels worst first, the missed and
extra labels (its "confusions"), the precision-recall curve of the presence scores with the 0.5
and tuned thresholds on it, and the invalid outputs with their reasons; for the report and the
model card alike, read from the split's metrics.json."""

from __future__ import annotations

from typing import Any

from tuneloop.report import plots

SHOWN_LABELS = 15  # labels in the model card's table (the report shows every label)
SHOWN_INVALID = 10  # invalid outputs the model card lists
PLOTTED_LABELS = 5  # labels of lowest average precision drawn beside the pooled curve


def worst_labels(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Every label scored, lowest F1 first (the larger support first on a tie), with its average
    precision where the presence scores have a curve for it (None otherwise)."""
    per_label = metrics.get("per_label") or {}
    curves = (metrics.get("pr_curve") or {}).get("labels") or {}
    ranked = sorted(per_label.items(), key=lambda item: (item[1]["f1"], -item[1]["support"], item[0]))
    return [
        {"label": label, **values, "average_precision": (curves.get(label) or {}).get("average_precision")}
        for label, values in ranked
    ]


def label_set_section(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    """The report's context for a multilabel split; None for another task kind."""
    if not metrics or "per_label" not in metrics:
        return None
    threshold, curve = metrics.get("threshold"), metrics.get("pr_curve")
    marks = {}
    if threshold:
        half = threshold["at_0.5"]
        marks["threshold 0.5"] = (half["micro_recall"], half["micro_precision"])
        if threshold["value"] != 0.5:
            marks[f"tuned {threshold['value']:.3f}"] = (metrics["micro_recall"], metrics["micro_precision"])
    return {
        "labels": worst_labels(metrics),
        "threshold": threshold,
        "pr_plot": plots.precision_recall(curve, marks, _lowest_ap(curve)) if curve else None,
        "invalid": metrics.get("invalid_outputs"),
    }


def _lowest_ap(curve: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The `PLOTTED_LABELS` label curves of lowest average precision (curves from before per-label
    curves were kept have none)."""
    labels = curve.get("labels") or {}
    ranked = sorted(labels, key=lambda label: (labels[label]["average_precision"], label))
    return {label: labels[label] for label in ranked[:PLOTTED_LABELS]}
