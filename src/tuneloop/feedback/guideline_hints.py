"""Guideline hints: the labels whose guideline most needs work, for the guideline's owner.

Three signals are read apart (`guideline_evidence`): corrections (served and reviewed answers
people corrected), disagreements (closed items the annotators split on) and drift (the label's
share of the served answers against training, in the latest `tuneloop monitor` check). They are
in different units (counts of answers, counts of items, a share), so the ranking rule makes them
comparable first: **each signal is normalised to its share** (a label's count divided by that
signal's total over all labels, so each signal with any evidence sums to 1), **and a label's
score is the sum of its shares**. A signal without evidence adds nothing. Ties go by the raw
counts (corrections, then disagreements), then by label name, so the list is stable.

The result is plain data (JSON-ready): the report (from `RUN/guideline_hints.json`, which
`write_guideline_hints` keeps before the report is built), the admin page and
`tuneloop annotate hints` show the same thing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuneloop.annotate.project import has_store, project_store
from tuneloop.annotate.store.engine import Store
from tuneloop.feedback.guideline_evidence import Evidence, corrections, disagreements, drift
from tuneloop.feedback.served_log import read_served
from tuneloop.run_dir import GUIDELINE_HINTS_FILE, write_json
from tuneloop.spec import ProjectSpec
from tuneloop.spec.recorded import run_spec

TOP = 10
SIGNALS = ("corrections", "disagreements", "drift")
RULE = "each signal normalised to its share of that signal's total over the labels, the shares summed"


def guideline_hints(spec: ProjectSpec, store: Store | None = None, top: int = TOP) -> dict[str, Any]:
    """The `top` labels by evidence, each with its counts, confused pairs and examples; `store` is
    an opened store (the web app's) or, without one, the project's store where it exists."""
    if spec.objective.task not in ("classify", "multilabel"):
        return {"task": spec.objective.task, "labels": [], "rule": RULE, "signals": {},
                "note": "guideline hints are for label tasks (classify, multilabel)"}  # fmt: skip
    opened = store or (project_store(spec) if has_store(spec) else None)
    try:
        served = read_served(opened) if opened is not None else None  # read once, for two signals
        evidence = {
            "corrections": corrections(spec, served),
            "disagreements": disagreements(spec, opened),
            "drift": drift(spec, served),
        }
    finally:
        if store is None and opened is not None:
            opened.close()
    return {
        "task": spec.objective.task,
        "labels": rank(evidence, top),
        "rule": RULE,
        "signals": {name: _signal(e) for name, e in evidence.items()},
        "note": None if any(e.counts for e in evidence.values()) else "no evidence of any kind yet",
    }


def write_guideline_hints(run_dir: Path) -> Path:
    """The hints for the run's project, as of now, kept in the run for its report."""
    return write_json(run_dir / GUIDELINE_HINTS_FILE, guideline_hints(run_spec(run_dir)))


def rank(evidence: dict[str, Evidence], top: int = TOP) -> list[dict[str, Any]]:
    """Labels by the sum of their normalised signals, highest first; `top` of them."""
    totals = {name: sum(e.counts.values()) for name, e in evidence.items()}
    labels = sorted({label for e in evidence.values() for label in e.counts})
    scored = []
    for label in labels:
        shares = {
            name: e.counts.get(label, 0) / totals[name] if totals[name] else 0.0
            for name, e in evidence.items()
        }
        scored.append((sum(shares.values()), label, shares))
    scored.sort(key=lambda s: (-s[0], *(-evidence[n].counts.get(s[1], 0) for n in SIGNALS), s[1]))
    return [_entry(label, score, shares, evidence) for score, label, shares in scored[:top]]


def _entry(
    label: str, score: float, shares: dict[str, float], evidence: dict[str, Evidence]
) -> dict[str, Any]:
    agreement = evidence["disagreements"]
    return {
        "label": label,
        "score": round(score, 4),
        "counts": {name: e.counts.get(label, 0) for name, e in evidence.items()},
        "shares": {name: round(share, 4) for name, share in shares.items()},
        "alpha": agreement.alpha.get(label),
        "confused_with": list(agreement.pairs.get(label, [])),
        "examples": {name: list(e.examples.get(label, [])) for name, e in evidence.items()},
    }


def _signal(evidence: Evidence) -> dict[str, Any]:
    return {"labels": len(evidence.counts), "total": round(sum(evidence.counts.values()), 4),
            "note": evidence.note}  # fmt: skip
