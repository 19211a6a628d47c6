"""The report's evaluation-depth sections: the collapse alarm, the model beside its baselines and
the base model, slices with intervals, comparisons with other models, the evaluation gates and
the human review of outputs, read from what the run left on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuneloop.evaluate.baselines import overall_test
from tuneloop.evaluate.compare import read_comparisons
from tuneloop.evaluate.gates import shown_split
from tuneloop.report import plots
from tuneloop.run_dir import RunRecord, eval_dir, read_review_results
from tuneloop.spec import ProjectSpec


def evaluation_section(
    run_dir: Path, record: RunRecord, spec: ProjectSpec, evaluation: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    split = shown_split(spec.evaluation, evaluation)
    metrics = evaluation.get(split) if split else None
    headline = spec.evaluation.metrics[0]
    slices = {k: v for k, v in ((metrics or {}).get("slices") or {}).items() if v}
    with_intervals = {k: v for k, v in slices.items() if "ci" in next(iter(v.values()))}
    comparisons = read_comparisons(eval_dir(run_dir, split)) if split else None
    return {
        "split": split,
        "metric": headline,
        "metrics": judged(metrics),
        "collapse": (metrics or {}).get("collapse"),
        "baselines": baseline_rows(metrics, comparisons, headline)
        if metrics and "baselines" in metrics
        else [],
        "bootstrap": (metrics or {}).get("bootstrap"),
        "min_slice_size": (metrics or {}).get("min_slice_size"),
        "slices": slices,
        "slice_plot": plots.slice_intervals(with_intervals, headline, (metrics or {}).get(headline))
        if with_intervals
        else None,
        "comparisons": comparisons,
        "comparison_plot": plots.comparison_differences(comparisons["targets"], headline)
        if comparisons and any(t["tests"] for t in comparisons["targets"])
        else None,
        "gates": record.evaluation_gates,
        "review": read_review_results(run_dir),
    }


BASELINE_NAMES = {"majority": "majority baseline", "tfidf_logreg": "TF-IDF logistic regression"}


def baseline_rows(
    metrics: dict[str, Any], comparisons: dict[str, Any] | None, metric: str
) -> list[dict[str, Any]]:
    """This model, each baseline and the base model on the same rows: each judged metric with its
    interval, and this model's paired test against the row on `metric` (none for itself)."""
    rows = [{"name": "this model", "note": "", "scores": metrics, "test": None}]
    for name, baseline in (metrics.get("baselines") or {}).items():
        note = f"always {baseline['label']!r}" if "label" in baseline else "fitted on the train split"
        rows.append(
            {
                "name": BASELINE_NAMES.get(name, name),
                "note": note,
                "scores": baseline,
                "test": overall_test(baseline, metric),
            }
        )
    for target in (comparisons or {}).get("targets", []):  # comparisons.json of the same split
        if target["kind"] == "base":
            test = overall_test(target, metric)
            rows.append(
                {"name": "base model", "note": target["model"], "scores": target["metrics"], "test": test}
            )
    return rows


def judged(metrics: dict[str, Any] | None) -> list[str]:
    """The metrics judged per slice in this evaluation (a generate task names them: its `ci` also
    holds the lengths); runs evaluated before intervals show the accuracy of each slice group alone."""
    return list((metrics or {}).get("judged") or (metrics or {}).get("ci") or {}) or ["accuracy"]
