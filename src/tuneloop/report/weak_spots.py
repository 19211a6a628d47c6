"""Where the model is weakest, for the report: the classes it recalls least and the slice groups
with the lowest headline metric, each with what it takes to judge it (support, n, interval).

The full per-class plot and every slice table stay in their own sections; these short lists say
first where to look.
"""

from __future__ import annotations

from typing import Any

WORST_CLASSES = 10
WORST_SLICES = 5


def worst_classes(metrics: dict[str, Any] | None, shown: int = WORST_CLASSES) -> list[dict[str, Any]]:
    """The `shown` classes of lowest recall (the larger class first on a tie), with support."""
    per_class = (metrics or {}).get("per_class") or {}
    ranked = sorted(per_class.items(), key=lambda item: (item[1]["recall"], -item[1]["support"], item[0]))
    return [{"label": label, **values} for label, values in ranked[:shown]]


def worst_slices(
    metrics: dict[str, Any] | None, metric: str, shown: int = WORST_SLICES
) -> dict[str, Any] | None:
    """The `shown` slice groups large enough to judge with the lowest `metric` (accuracy for an
    evaluation that did not score `metric` per slice); None without slices."""
    slices = {name: groups for name, groups in ((metrics or {}).get("slices") or {}).items() if groups}
    if not slices:
        return None
    groups = [
        {"slice": name, "value": value, **group}
        for name, values in slices.items()
        for value, group in values.items()
    ]
    if any(g.get(metric) is None for g in groups):
        metric = "accuracy"
    judged = [g for g in groups if not g.get("too_small") and g.get(metric) is not None]
    ranked = sorted(judged, key=lambda g: (g[metric], -g["n"], g["slice"], g["value"]))
    return {
        "metric": metric,
        "overall": (metrics or {}).get(metric),
        "groups": [{**g, "score": g[metric], "ci": (g.get("ci") or {}).get(metric)} for g in ranked[:shown]],
        "too_small": len(groups) - len(judged),
    }
