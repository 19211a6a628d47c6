"""`tuneloop monitor`: has the served traffic moved away from what the model learnt from?

The served side is every request of the project's request log in the window (`--since`; all of
them by default), whichever model answered it. The training side is a run's DatasetVersion (the
latest run with one, or `--run`): its train split's inputs, and as the reference for the answers
the run's own predictions on its evaluated split (what the model answers on in-distribution
inputs, so its errors are in the reference too), or the training labels where the run has not
been evaluated. The checks:

- **inputs**, overall and in every group of the spec's `evaluation.slices` (assigned exactly as
  evaluation assigns them, `evaluate/slices.py`) that has enough rows on both sides
  (`evaluation.min_slice_size`, at least `drift.MIN_ROWS`); a smaller group is listed as too few.
  Each is the calibrated domain classifier of `drift.py`;
- **predicted labels** against the reference (`drift.label_shift`; label sets for multilabel);
- **low-confidence answers**: the share below `serving.low_confidence_below`, beside the
  reference predictions' share;
- **feedback**: ratings, the thumbs-down rate, corrections (`served_log.feedback_summary`).

The first two are tests, and together they are one family: their p-values are Holm-adjusted, so
traffic from the training distribution raises a false alarm in at most 5% of checks however many
slices there are; each domain test gets enough shuffles for Holm to be able to reach 5%. Drift
is any adjusted p-value at or below 5%. The confidence and the feedback are reported, not tested.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from tuneloop.annotate.project import has_store, project_store
from tuneloop.data.example import Example
from tuneloop.data.version import DatasetVersion
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.compare import holm
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.runner import read_predictions
from tuneloop.evaluate.slices import slice_groups
from tuneloop.feedback.drift import LEVEL, MIN_ROWS, PERMUTATIONS, domain_drift, label_shift
from tuneloop.feedback.served_log import ServedRow, feedback_summary, read_served, set_confidence
from tuneloop.report.monitor import monitor_page
from tuneloop.run_dir import (
    EVAL_SPLITS,
    MONITOR_FILE,
    MONITOR_REPORT_FILE,
    PREDICTIONS_FILE,
    data_dir,
    eval_dir,
    monitor_dir,
    runs_in,
    write_json,
)
from tuneloop.spec import ProjectSpec
from tuneloop.spec.recorded import run_spec

TOO_FEW = "too few"
BINS = tuple(round(0.05 * i, 2) for i in range(21))  # the confidence histograms' edges
OVERALL = "inputs overall"
LABELS = "predicted labels"


@dataclass(frozen=True)
class Reference:
    """The training side: a run's training inputs, and the answers to compare served ones with."""

    run_dir: Path
    training: list[Example]
    labels: list[tuple[str, ...]]
    labels_from: str  # "predictions on SPLIT" or "training labels"
    confidences: list[float]  # of the reference predictions (none for training labels)


def monitor(spec: ProjectSpec, since: datetime | None = None, run: Path | None = None) -> dict[str, Any]:
    """The whole check, as the JSON `tuneloop monitor` writes (without the file paths)."""
    if not has_store(spec):
        raise TuneloopError(
            f"{spec.store_url}: the project has no store, so nothing was served and logged "
            "(serve a run with `tuneloop serve-model RUN`)"
        )
    reference = load_reference(spec, run)
    store = project_store(spec)
    try:
        served = read_served(store, since)
    finally:
        store.close()
    if not served:
        window = f"since {since.isoformat()}" if since else "at all"
        raise TuneloopError(f"{spec.store_url}: no request was served {window}; nothing to monitor")
    scopes = input_scopes(spec, reference.training, served)
    labels = labels_check(reference, [row.labels for row in served if row.labels is not None])
    tests = sum(s["status"] == "tested" for s in [*scopes.values(), labels])
    permutations = max(PERMUTATIONS, math.ceil(tests / LEVEL) - 1)  # Holm can reach LEVEL
    for scope in scopes.values():
        if scope["status"] == "tested":
            reference_texts, served_texts = scope.pop("texts")
            verdict = domain_drift(reference_texts, served_texts, permutations=permutations, seed=spec.seed)
            scope.update(verdict.to_dict())
    drifted = adjust(scopes, labels)
    return {
        "project": spec.objective.name,
        "task": spec.objective.task,
        "run": reference.run_dir.name,
        "window": window_of(since, served),
        "served": {"requests": len(served), "by_model": dict(Counter(r.model for r in served))},
        "training": {"rows": len(reference.training), "labels_from": reference.labels_from},
        "tests": {"count": tests, "level": LEVEL, "correction": "holm", "permutations": permutations},
        "inputs": {"overall": scopes.pop(OVERALL), "slices": nest(scopes)},
        "labels": labels,
        "confidence": confidence_check(spec, reference, served),
        "feedback": feedback_summary(served),
        "drifted": drifted,
        "drift": bool(drifted),
    }


def monitor_and_write(
    spec: ProjectSpec, since: datetime | None = None, run: Path | None = None
) -> dict[str, Any]:
    """`monitor`, kept in a new folder `<output_dir>/monitor/TIME/` as monitor.json and the HTML
    report monitor.html; the result names both files."""
    result = monitor(spec, since, run)
    folder = monitor_dir(spec.output_path, datetime.now(UTC))
    result["files"] = {"json": str(folder / MONITOR_FILE), "report": str(folder / MONITOR_REPORT_FILE)}
    write_json(folder / MONITOR_FILE, result)
    (folder / MONITOR_REPORT_FILE).write_text(monitor_page(result), encoding="utf-8")
    return result


def load_reference(spec: ProjectSpec, run: Path | None) -> Reference:
    """The run to compare with: `run` (a run directory, or a run's name under `output_dir`), else
    the latest run that has a DatasetVersion."""
    runs = [p for p in runs_in(spec.output_path) if (data_dir(p) / "manifest.json").is_file()]
    if run is not None:
        chosen = run if run.is_dir() else spec.output_path / run
        if not (data_dir(chosen) / "manifest.json").is_file():
            raise TuneloopError(
                f"{run}: not a run with a dataset version (no {data_dir(chosen)}/manifest.json)"
            )
    elif runs:
        chosen = runs[-1]
    else:
        raise TuneloopError(f"{spec.output_path}: no run with training data yet; run `tuneloop run` first")
    training = DatasetVersion.load(data_dir(chosen)).split("train")
    evaluation = run_spec(chosen).evaluation
    for split in sorted(EVAL_SPLITS, key=lambda s: s != evaluation.gate_split):
        path = eval_dir(chosen, split) / PREDICTIONS_FILE
        if path.is_file():
            predictions = read_predictions(path)
            answers = [answered(p) for p in predictions]
            sure = [c for p in predictions if (c := confidence_of(p)) is not None]
            return Reference(chosen, training, answers, f"predictions on {split}", sure)
    labels = [e.labels if e.labels is not None else (e.label,) for e in training if e.label is not None]
    return Reference(chosen, training, labels, "training labels", [])


def answered(p: Prediction) -> tuple[str, ...]:
    if p.gold_labels is not None or p.predicted_labels is not None:
        return tuple(p.predicted_labels or ())
    return (p.predicted,) if p.predicted is not None else ()


def confidence_of(p: Prediction) -> float | None:
    if p.label_scores is not None and p.predicted_labels is not None:
        return set_confidence(set(p.predicted_labels), p.label_scores)
    return p.confidence


def input_scopes(
    spec: ProjectSpec, training: list[Example], served: list[ServedRow]
) -> dict[str, dict[str, Any]]:
    """Every scope of the inputs check: overall, then each slice group, with its texts where it
    has enough rows on both sides (`status: tested`) and its sizes where it has not."""
    ours = [Prediction(e.id, e.text, None, "", None, e.slices) for e in training]
    theirs = [Prediction(str(r.request_id), r.text, None, "", None) for r in served]
    scopes = {OVERALL: _scope([p.text for p in ours], [p.text for p in theirs], MIN_ROWS)}
    enough = max(MIN_ROWS, spec.evaluation.min_slice_size)
    for slice_spec in spec.evaluation.slices:
        before, after = slice_groups(ours, slice_spec), slice_groups(theirs, slice_spec)
        for value in [*before, *(v for v in after if v not in before)]:
            mine = [ours[i].text for i in before.get(value, [])]
            yours = [theirs[i].text for i in after.get(value, [])]
            scopes[f"{slice_spec.name}={value}"] = {
                "slice": slice_spec.name,
                "value": value,
                **_scope(mine, yours, enough),
            }
    return scopes


def _scope(reference: list[str], current: list[str], enough: int) -> dict[str, Any]:
    if min(len(reference), len(current)) < enough:
        return {"status": TOO_FEW, "reference": len(reference), "current": len(current), "needed": enough}
    return {"status": "tested", "texts": (reference, current)}


def labels_check(reference: Reference, served: list[tuple[str, ...]]) -> dict[str, Any]:
    """The label-shift test of the served answers against the reference's, where both have some."""
    if not served:
        return {"status": "not applicable", "why": "the served answers carry no labels (a generate task)"}
    if len(served) < MIN_ROWS or not any(reference.labels):
        return {
            "status": TOO_FEW,
            "reference": len(reference.labels),
            "current": len(served),
            "needed": MIN_ROWS,
        }
    return {
        "status": "tested",
        "against": reference.labels_from,
        **label_shift(reference.labels, served).to_dict(),
    }


def adjust(scopes: dict[str, dict[str, Any]], labels: dict[str, Any]) -> list[str]:
    """Holm over every test that ran (each result gains `p_holm`, and `drifted` is decided on it);
    the names of the drifted ones, in order."""
    tested = [(name, s) for name, s in scopes.items() if s["status"] == "tested"]
    if labels["status"] == "tested":
        tested.append((LABELS, labels))
    p_values = [1.0 if r["p_value"] is None else r["p_value"] for _, r in tested]  # None: one label only
    for (_, result), adjusted in zip(tested, holm(p_values), strict=True):
        result["p_holm"] = adjusted
        result["drifted"] = adjusted <= LEVEL
    return [name for name, result in tested if result["drifted"]]


def nest(scopes: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Slice groups as {slice: {value: result}}, as the evaluation's metrics file nests them."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for scope in scopes.values():
        out.setdefault(scope.pop("slice"), {})[scope.pop("value")] = scope
    return out


def confidence_check(spec: ProjectSpec, reference: Reference, served: list[ServedRow]) -> dict[str, Any]:
    """The share of low-confidence answers, served and in the reference predictions."""
    below = spec.serving.low_confidence_below
    known = [r.confidence for r in served if r.confidence is not None]
    low = sum(c < below for c in known)
    return {
        "threshold": below,
        "answers": len(known),
        "without_confidence": len(served) - len(known),
        "low": low,
        "share": low / len(known) if known else None,
        "reference_share": (
            sum(c < below for c in reference.confidences) / len(reference.confidences)
            if reference.confidences
            else None
        ),
        "reference": reference.labels_from if reference.confidences else None,
        "bins": list(BINS),
        "counts": np.histogram(known, BINS)[0].tolist(),
        "reference_counts": np.histogram(reference.confidences, BINS)[0].tolist(),
    }


def window_of(since: datetime | None, served: list[ServedRow]) -> dict[str, str | None]:
    return {
        "since": since.isoformat(timespec="seconds") if since else None,
        "first": served[0].at.isoformat(timespec="seconds"),
        "last": served[-1].at.isoformat(timespec="seconds"),
    }
