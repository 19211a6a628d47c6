"""`tuneloop round next`: what the model's use left, routed to people as annotation items.

Four origins, routed in this order (the claim queue is oldest first), one item per input:

- `feedback_correction`: a served answer a client corrected (`POST /v1/feedback` with a
  `correction`, or a line of `tuneloop feedback import`, referenced `import:ID`); the correction,
  where it names the task's labels, is the item's suggestion;
- `thumbs_down`: a served answer rated "down", 1 or 2, without a correction; no suggestion (the
  answer was judged wrong);
- `review_candidate`: an output the human review corrected (`RUN/review/candidates.jsonl`, what
  `tuneloop review results` keeps), the reviewers' most given correction as the suggestion;
- `low_confidence`: a served answer below `serving.low_confidence_below`, the model's answer and
  its confidence as the suggestion; least sure first, and where the latest `tuneloop monitor`
  found drift, the inputs of the drifted slice groups before the others; at most `limit`.

A suggestion is never a label: people answer the item like any other, and only their decided
label (`annotate/training_labels.py`) reaches the next `tuneloop run`, whose dataset provenance
and report then count the rows per origin. Each item is keyed by origin and reference (the served
response id, or the review candidate's run and prediction id), and a reference already routed is
left as it is, so running this twice adds nothing twice; except that an item nobody has answered
yet takes a stronger origin that now names it (a low-confidence answer since corrected is
`upgraded` to the correction, its suggestion with it: `annotate/store/feedback_upgrade.py`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from tuneloop.annotate.project import has_store, operator, project_store, publish_spec_guidelines, task_schema
from tuneloop.annotate.store.feedback_upgrade import upgrade_feedback_items
from tuneloop.annotate.store.items import FEEDBACK_ORIGINS, FeedbackItem, import_feedback_items, routed_refs
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.slices import slice_value
from tuneloop.feedback.served_log import ServedRow, read_imported, read_served
from tuneloop.label_text import NO_LABELS, SEPARATOR, label_key
from tuneloop.run_dir import REVIEW_CANDIDATES_FILE, latest_monitor, review_dir, runs_in
from tuneloop.spec import ProjectSpec

LOW_CONFIDENCE_LIMIT = 200
OVERALL = "inputs overall"


def route_next_round(
    spec: ProjectSpec, since: datetime | None = None, limit: int = LOW_CONFIDENCE_LIMIT
) -> dict[str, Any]:
    """Route what the model's use left into the project's store; what was added, by origin."""
    if not has_store(spec):
        raise TuneloopError(f"{spec.store_url}: the project has no store; nothing was served or reviewed")
    store = project_store(spec)
    try:
        served = read_served(store, since, rated_since=True)
        imported = read_imported(store, since)  # rated elsewhere: `tuneloop feedback import`
        with store.read() as session:  # routed answers leave the low-confidence limit to new ones
            routed = routed_refs(session, [row.response_id for row in served])
        told, unsure = served_items(spec, [*served, *imported], limit, routed)
        reviewed = review_items(spec, [c for run in runs_in(spec.output_path) for c in candidates(run)])
        items = [*told, *reviewed, *unsure]
        with store.begin() as session:
            by = operator(session)
            publish_spec_guidelines(session, spec, by)
            schema = task_schema(session, spec, by)
            upgraded = upgrade_feedback_items(session, items, schema, by=by)
            added = import_feedback_items(session, items, schema, overlap=spec.annotation.overlap, by=by)
    finally:
        store.close()
    origins = Counter(item.source_key.split(":")[1] for item in added)
    found = Counter(item.origin for item in items)
    return {
        "added": {origin: origins.get(origin, 0) for origin in FEEDBACK_ORIGINS},
        "found": {origin: found.get(origin, 0) for origin in FEEDBACK_ORIGINS},
        "upgraded": len(upgraded),  # routed before under a weaker origin, not yet answered
        "already_routed": len(routed | {i.ref for i in items}) - len(added) - len(upgraded),
        "served_requests": len(served),
        "imported_feedback": len(imported),
        "store": spec.store_url,
    }


def served_items(
    spec: ProjectSpec, served: list[ServedRow], limit: int, routed: set[str] | frozenset[str] = frozenset()
) -> tuple[list[FeedbackItem], list[FeedbackItem]]:
    """Corrections then thumbs-down answers; and apart, the low-confidence ones not yet `routed`
    (the first `limit`, so answers routed before never crowd new ones out)."""
    corrected, down, unsure = [], [], []
    for row in served:
        fixes = [r.correction for r in row.ratings if r.correction]
        if fixes:
            corrected.append(_item("feedback_correction", row, as_label(spec, fixes[-1])))
        elif any(r.negative for r in row.ratings):
            down.append(_item("thumbs_down", row))
        elif row.response_id in routed:
            continue  # routed before (counted as already routed by the caller)
        elif row.confidence is not None and row.confidence < spec.serving.low_confidence_below:
            answer = list(row.labels or ()) if spec.objective.task == "multilabel" else _first(row.labels)
            unsure.append((row, _item("low_confidence", row, answer, row.confidence)))
    drifted = drifted_groups(spec)
    unsure.sort(key=lambda pair: (not in_drift(spec, pair[0].text, drifted), pair[0].confidence))
    return [*corrected, *down], [item for _, item in unsure[:limit]]


def _item(
    origin: str, row: ServedRow, suggestion: Any = None, confidence: float | None = None
) -> FeedbackItem:
    return FeedbackItem(origin, row.response_id, row.text, row.model, row.run, suggestion, confidence)


def review_items(spec: ProjectSpec, rows: list[dict[str, Any]]) -> list[FeedbackItem]:
    """One item per corrected output, its most given correction as the suggestion."""
    by_output: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_output.setdefault(f"{row['run']}/{row['prediction_id']}", []).append(row)
    items = []
    for ref, given in by_output.items():
        correction = Counter(str(r["label"]) for r in given).most_common(1)[0][0]
        first = given[0]
        items.append(
            FeedbackItem(
                "review_candidate",
                ref,
                first["text"],
                first.get("model"),
                first.get("run"),
                as_label(spec, correction),
            )
        )
    return items


def candidates(run_dir: Path) -> list[dict[str, Any]]:
    path = review_dir(run_dir) / REVIEW_CANDIDATES_FILE
    if not path.is_file():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def as_label(spec: ProjectSpec, text: str) -> Any:
    """A correction as the task's label (a multilabel set as a list), matched the way evaluation
    matches answers (`label_key`); None when it names no label (or a generate task's text)."""
    if spec.objective.task not in ("classify", "multilabel"):
        return None
    names = {label_key(name): name for name in spec.label_names}
    if spec.objective.task == "classify":
        return names.get(label_key(text))
    if label_key(text) == NO_LABELS:
        return []
    parts = [names.get(label_key(part)) for part in text.split(SEPARATOR.strip())]
    return [p for p in parts if p is not None] if all(parts) else None


def drifted_groups(spec: ProjectSpec) -> set[str]:
    """The scopes the latest monitor check found drifted (`inputs overall`, `SLICE=VALUE`)."""
    found = latest_monitor(spec.output_path)
    return set(found.get("drifted", [])) if found else set()


def in_drift(spec: ProjectSpec, text: str, drifted: set[str]) -> bool:
    if OVERALL in drifted:
        return True
    probe = Prediction("", text, None, "", None)
    return any(f"{s.name}={slice_value(probe, s)}" in drifted for s in spec.evaluation.slices)


def _first(labels: tuple[str, ...] | None) -> str | None:
    return labels[0] if labels else None
