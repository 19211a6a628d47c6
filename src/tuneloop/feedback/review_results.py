"""The results of the human review of a run's outputs, read back from the annotation store.

Per reviewed output the people's verdict is the majority of their `correct` answers (a tie counts
as not correct: nobody could vouch for it). Next to it stands the automatic verdict on the same
items (the output equals the gold label), so the report can show human-judged accuracy beside
automatic accuracy, and how far they agree (Cohen's kappa, human vs automatic). Agreement between
the reviewers themselves is Krippendorff's alpha over their `correct` answers. Every correction
becomes a candidate training row for the next round, marked `candidate: true`, never mixed into
the data without a person deciding.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from tuneloop.annotate.alpha import krippendorff_alpha
from tuneloop.annotate.kappa import cohen_kappa
from tuneloop.annotate.project import project_store
from tuneloop.annotate.reliability import AgreementError, ReliabilityMatrix
from tuneloop.annotate.simulate import SKILL
from tuneloop.annotate.store.models import Item
from tuneloop.annotate.store.repository import current_annotations
from tuneloop.feedback.review_files import read_sample, write_jsonl, write_review_results
from tuneloop.run_dir import REVIEW_CANDIDATES_FILE, review_dir
from tuneloop.spec import OutputReviewSpec
from tuneloop.spec.recorded import run_spec


def collect_review_results(run_dir: Path) -> dict[str, Any]:
    """Read the reviews of the run's sample from the store, write results.json and the candidate
    rows, and return the results."""
    spec = run_spec(run_dir)
    sample = read_sample(run_dir)
    store = project_store(spec)
    try:
        with store.begin() as session:
            answers = {}
            simulated: set[str] = set()
            for drawn in sample:
                item = session.scalar(select(Item).where(Item.source_key == drawn["source_key"]))
                current = current_annotations(session, item) if item is not None else []
                answers[drawn["source_key"]] = [(a.annotator.name, a.label, a.item_id) for a in current]
                simulated |= {a.annotator.name for a in current if SKILL in (a.annotator.skills or [])}
    finally:
        store.close()
    results, candidates = summarise(sample, answers)
    results["simulated"] = sorted(simulated)
    results["split"] = (spec.evaluation.review or OutputReviewSpec()).split
    write_jsonl(review_dir(run_dir) / REVIEW_CANDIDATES_FILE, candidates)
    write_review_results(run_dir, results)
    return results


def summarise(
    sample: list[dict[str, Any]], answers: dict[str, list[tuple[str, dict[str, Any], int]]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The results and the candidate rows from the drawn outputs and each one's reviews
    (reviewer, answer, item id)."""
    reviewed = [d for d in sample if answers.get(d["source_key"])]
    human = [_majority([a["correct"] for _, a, _ in answers[d["source_key"]]]) for d in reviewed]
    automatic = [d["gold"] is not None and d["predicted"] == d["gold"] for d in reviewed]
    ratings = [a["rating"] for d in reviewed for _, a, _ in answers[d["source_key"]]]
    by_reason: dict[str, list[bool]] = defaultdict(list)
    for d, verdict in zip(reviewed, human, strict=True):
        for reason in d["reasons"]:
            by_reason[reason].append(verdict)
    candidates = [
        {
            "text": d["text"],
            "label": answer["corrected"],
            "candidate": True,
            "source": "output_review",
            "reviewer": reviewer,
            "item_id": item_id,
            "prediction_id": d["id"],
            "model_output": d["output"],
            "model": d["model"],
            "run": d["run"],
            "phase": d["phase"],
        }
        for d in reviewed
        for reviewer, answer, item_id in answers[d["source_key"]]
        if answer["corrected"] is not None
    ]
    results = {
        "model": reviewed[0]["model"] if reviewed else (sample[0]["model"] if sample else None),
        "run": sample[0]["run"] if sample else None,
        "items_drawn": len(sample),
        "items_reviewed": len(reviewed),
        "reviewers": sorted({r for d in reviewed for r, _, _ in answers[d["source_key"]]}),
        "human_accuracy": float(np.mean(human)) if human else None,
        "automatic_accuracy": float(np.mean(automatic)) if automatic else None,
        "kappa_human_automatic": _kappa(human, automatic),
        "reviewer_agreement": _reviewer_alpha(reviewed, answers),
        "mean_rating": float(np.mean(ratings)) if ratings else None,
        "by_reason": {
            reason: {"items": len(v), "human_accuracy": float(np.mean(v))}
            for reason, v in sorted(by_reason.items())
        },
        "candidates": len(candidates),
    }
    return results, candidates


def _majority(votes: list[bool]) -> bool:
    return sum(votes) * 2 > len(votes)


def _kappa(human: list[bool], automatic: list[bool]) -> float | None:
    if not human:
        return None
    value = cohen_kappa(np.array([human, automatic], dtype=float))
    return None if math.isnan(value) else value


def _reviewer_alpha(
    reviewed: list[dict[str, Any]], answers: dict[str, list[tuple[str, dict[str, Any], int]]]
) -> float | None:
    records = [(d["source_key"], r, a["correct"]) for d in reviewed for r, a, _ in answers[d["source_key"]]]
    try:
        value = krippendorff_alpha(ReliabilityMatrix.from_records(records))
    except AgreementError:  # fewer than two reviewers, or no output reviewed twice
        return None
    return None if math.isnan(value) else value
