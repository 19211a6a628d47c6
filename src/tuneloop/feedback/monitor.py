"""`tuneloop monitor`: has the served traffic moved away from what the model learnt from?

The served side is every request of the project's request log in the window (`--since`; all of
them by default): for the inputs, whichever model answered it; for the answers and their
confidence, only those of the chosen run's model (the others are counted apart). The training
side is a run's DatasetVersion (the latest run with one, or `--run`): its train split's inputs
(passed through the same PII redaction where the server logged redacted texts), and as the
reference for the answers the run's own predictions on its evaluated split (what the model
answers on in-distribution inputs, so its errors are in the reference too). Where the run has not
been evaluated the training labels are all there is, and the label shift is `reported`, not
tested: the model's own errors would read as drift. The checks:

- **inputs**, overall and in every group of the spec's `evaluation.slices` (assigned exactly as
  evaluation assigns them, `evaluate/slices.py`) that has enough rows on both sides
  (`evaluation.min_slice_size`, at least `drift.MIN_ROWS`, counted in distinct texts); a smaller
  group is listed as too few, a `field` slice as not applicable (a served request carries no
  tags), inputs without a word in common as `no shared terms`. Each is the calibrated domain
  classifier of `drift.py`;
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
from tuneloop.data.checks.pii import redact
from tuneloop.data.example import Example
from tuneloop.data.version import DatasetVersion
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.compare import holm
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.runner import read_predictions
from tuneloop.evaluate.slices import slice_groups
from tuneloop.feedback.drift import (
    LABEL_PERMUTATIONS,
    LEVEL,
    MIN_ROWS,
    PERMUTATIONS,
    NoSharedTerms,
    distinct_texts,
    domain_drift,
    label_shift,
)
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
NO_SHARED_TERMS = "no shared terms"
NOT_APPLICABLE = "not applicable"
REPORTED = "reported"  # a label shift against training labels: shown, not tested
BINS = tuple(round(0.05 * i, 2) for i in range(21))  # the confidence histograms' edges
OVERALL = "inputs overall"
TRAINING_LABELS = "training labels"
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
    ours = [row for row in served if row.run == reference.run_dir.name]
    scopes = input_scopes(spec, reference.training, served, any(row.redacted for row in served))
    labels = labels_check(reference, served, ours)
    tests = sum(s["status"] == "tested" for s in [*scopes.values(), labels])
    permutations = max(PERMUTATIONS, math.ceil(tests / LEVEL) - 1)  # Holm can reach LEVEL
    for scope in scopes.values():
        if scope["status"] == "tested":
            run_domain_test(scope, permutations, spec.seed)
    if "answers" in labels:
        reference_labels, served_labels = labels.pop("answers")
        shuffles = max(LABEL_PERMUTATIONS, permutations)
        labels.update(label_shift(reference_labels, served_labels, shuffles, spec.seed).to_dict())
        if labels["status"] == REPORTED:
            labels["drifted"] = False  # outside the family: no test against training labels
    drifted = adjust(scopes, labels)
    return {
        "project": spec.objective.name,
        "task": spec.objective.task,
        "run": reference.run_dir.name,
        "window": window_of(since, served),
        "served": {
            "requests": len(served),
            "by_model": dict(Counter(r.model for r in served)),
            "of_run": len(ours),  # the answers the labels and confidence checks read
            "other_runs": dict(Counter(r.run or r.model for r in served if r.run != reference.run_dir.name)),
        },
        "training": {"rows": len(reference.training), "labels_from": reference.labels_from},
        "tests": {"count": tests, "level": LEVEL, "correction": "holm", "permutations": permutations},
        "inputs": {"overall": scopes.pop(OVERALL), "slices": nest(scopes)},
        "labels": labels,
        "confidence": confidence_check(spec, reference, ours),
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
    return Reference(chosen, training, labels, TRAINING_LABELS, [])


def answered(p: Prediction) -> tuple[str, ...]:
    if p.gold_labels is not None or p.predicted_labels is not None:
        return tuple(p.predicted_labels or ())
    return (p.predicted,) if p.predicted is not None else ()


def confidence_of(p: Prediction) -> float | None:
    if p.label_scores is not None and p.predicted_labels is not None:
        return set_confidence(set(p.predicted_labels), p.label_scores)
    return p.confidence


def input_scopes(
    spec: ProjectSpec, training: list[Example], served: list[ServedRow], redacted: bool = False
) -> dict[str, dict[str, Any]]:
    """Every scope of the inputs check: overall, then each slice group, with its texts where it
    has enough rows on both sides (`status: tested`) and its sizes where it has not. `redacted`:
    the served texts were logged with PII replaced, so the training texts are redacted alike
    (else a placeholder such as [EMAIL] alone would mark the served side)."""
    ours = [
        Prediction(e.id, redact(e.text)[0] if redacted else e.text, None, "", None, e.slices)
        for e in training
    ]
    theirs = [Prediction(str(r.request_id), r.text, None, "", None) for r in served]
    scopes = {OVERALL: _scope([p.text for p in ours], [p.text for p in theirs], MIN_ROWS)}
    enough = max(MIN_ROWS, spec.evaluation.min_slice_size)
    for slice_spec in spec.evaluation.slices:
        before, after = slice_groups(ours, slice_spec), slice_groups(theirs, slice_spec)
        for value in [*before, *(v for v in after if v not in before)]:
            mine = [ours[i].text for i in before.get(value, [])]
            yours = [theirs[i].text for i in after.get(value, [])]
            scope = _scope(mine, yours, enough)
            if slice_spec.field is not None:  # a tag of the data: a served request has none
                why = f"served requests carry no {slice_spec.field}"
                scope = {
                    "status": NOT_APPLICABLE,
                    "why": why,
                    "reference": len(distinct_texts(mine)),
                    "current": 0,
                }
            scopes[f"{slice_spec.name}={value}"] = {"slice": slice_spec.name, "value": value, **scope}
    return scopes


def _scope(reference: list[str], current: list[str], enough: int) -> dict[str, Any]:
    """Tested, or too few: counted in distinct non-blank texts, as the domain test reads them."""
    mine, yours = distinct_texts(reference), distinct_texts(current)
    if min(len(mine), len(yours)) < enough:
        return {"status": TOO_FEW, "reference": len(mine), "current": len(yours), "needed": enough}
    return {"status": "tested", "texts": (mine, yours)}


def run_domain_test(scope: dict[str, Any], permutations: int, seed: int) -> None:
    """The domain test of a tested scope, in place; `no shared terms` where no word is in two inputs."""
    reference, current = scope.pop("texts")
    try:
        scope.update(domain_drift(reference, current, permutations=permutations, seed=seed).to_dict())
    except NoSharedTerms as error:
        scope.update(status=NO_SHARED_TERMS, why=str(error), reference=len(reference), current=len(current))


def labels_check(reference: Reference, served: list[ServedRow], ours: list[ServedRow]) -> dict[str, Any]:
    """The label-shift check of the run's own served answers (`ours`) against the reference's:
    `tested` against its predictions, `reported` against training labels; its `answers` are the
    two sides, for the caller to test."""
    if all(row.labels is None for row in served):
        return {"status": NOT_APPLICABLE, "why": "the served answers carry no labels (a generate task)"}
    answers = [row.labels for row in ours if row.labels is not None]
    if len(answers) < MIN_ROWS or not reference.labels:
        return {
            "status": TOO_FEW,
            "reference": len(reference.labels),
            "current": len(answers),
            "needed": MIN_ROWS,
        }
    status = REPORTED if reference.labels_from == TRAINING_LABELS else "tested"
    found: dict[str, Any] = {
        "status": status,
        "against": reference.labels_from,
        "answers": (reference.labels, answers),
    }
    if status == REPORTED:
        found["why"] = (
            "the run has no predictions: against training labels the model's own errors read as shift"
        )
    return found


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
