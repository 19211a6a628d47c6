"""`tuneloop assist label-issues`: the label finders over a project's data and store, the suspects
routed to the store's review queue.

The rows are the project's train split as people annotate it (`annotate/project.py:
dataset_for_annotation`), each with its current label: the store's decision where its item is
decided (`gold.decide_items`), else its source label. A cross-validated TF-IDF regression gives
every row out-of-fold probabilities (`label_issues.pruned_out_of_fold`, in two passes); confident
learning flags the rows whose label they doubt (`label_issues`), and CROWDLAB (`crowd`) rates the
items several people answered, and the people. Adjudicated rows are fitted on but never flagged:
an expert has decided them. Each suspect goes to the review queue with its reason
(annotate/store/label_issues.py); a reviewer's decision becomes the item's gold label, which the
next round trains on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.gold import decide_items
from tuneloop.annotate.project import (
    dataset_for_annotation,
    operator,
    project_store,
    publish_spec_guidelines,
    task_schema,
)
from tuneloop.annotate.store import export_records
from tuneloop.annotate.store.label_issues import issue_counts, queue_issue, row_item
from tuneloop.annotate.store.models import Item
from tuneloop.assist.crowd import crowd_quality, crowd_suspects
from tuneloop.assist.label_issues import (
    MAX_SHARE,
    Suspect,
    label_set_suspects,
    label_suspects,
    pruned_out_of_fold,
)
from tuneloop.assist.tfidf import FOLDS
from tuneloop.data.example import Example
from tuneloop.errors import TuneloopError
from tuneloop.spec import ProjectSpec

SHOWN = 20  # suspects listed in the command's answer; the queue holds them all


@dataclass
class TrainRows:
    """The train split with each row's current label, and what the store knows of its item."""

    examples: list[Example]
    labels: list[Any]  # a label, or a label set (tuple) for a multilabel task
    adjudicated: set[int] = field(default_factory=set)
    answers: dict[int, dict[str, str]] = field(default_factory=dict)  # row -> annotator -> label


def route_label_issues(spec: ProjectSpec, max_share: float = MAX_SHARE) -> dict[str, Any]:
    """Find the suspect labels of the project's train split and queue them for review."""
    version = dataset_for_annotation(spec)
    store = project_store(spec)
    try:
        with store.read() as session:
            rows = _train_rows(session, spec, version.hash, version.split("train"))
        suspects, annotators = find_suspects(spec, rows, max_share)
        with store.begin() as session:
            by = operator(session)
            schema = task_schema(session, spec, by)
            if spec.guidelines is not None:  # a reviewer's decision is made under the current guidelines
                publish_spec_guidelines(session, spec, by)
            queued = 0
            for suspect in suspects:
                example = rows.examples[suspect.row]
                item = row_item(
                    session, version.hash, "train", suspect.row, example, schema, spec.annotation.overlap
                )
                detail = {"text": example.text[:500], "row": suspect.row}
                queued += (
                    queue_issue(
                        session,
                        item,
                        suspect.method,
                        _stored(suspect.given),
                        _stored(suspect.suggested),
                        suspect.score,
                        detail,
                        by,
                    )
                    is not None
                )
            counts = issue_counts(session)
    finally:
        store.close()
    return _summary(rows, suspects, annotators, queued, counts, max_share)


def find_suspects(
    spec: ProjectSpec, rows: TrainRows, max_share: float, seed: int | None = None
) -> tuple[list[Suspect], list[dict[str, Any]]]:
    """Confident learning over every row, CROWDLAB over the rows several people answered (one
    label per row only); adjudicated rows are rated but left out of both lists. Also the annotators' CROWDLAB
    quality, best first."""
    seed = spec.seed if seed is None else seed
    if len(rows.examples) < 2 * FOLDS:
        raise TuneloopError(
            f"label issues: {len(rows.examples)} train rows; cross-validation needs {2 * FOLDS}"
        )
    texts = [e.text for e in rows.examples]
    if spec.objective.task == "multilabel":
        names = spec.label_names
        present = np.array([[name in set(labels) for name in names] for labels in rows.labels], dtype=int)
        probs = pruned_out_of_fold(texts, present, seed)
        found = label_set_suspects(rows.labels, probs, names, max_share)
        return [s for s in found if s.row not in rows.adjudicated], []
    classes = [name for name in spec.label_names if name in set(rows.labels)]
    if len(classes) < 2:
        raise TuneloopError(
            "label issues: the train rows hold one label; there is nothing to confuse it with"
        )
    probs = pruned_out_of_fold(texts, np.array([classes.index(label) for label in rows.labels]), seed)
    found = [
        s for s in label_suspects(rows.labels, probs, classes, max_share) if s.row not in rows.adjudicated
    ]
    # Disputed items are rated too: who was overruled is what tells the annotators apart.
    crowded = [r for r, answers in sorted(rows.answers.items()) if len(answers) >= 2]
    if not crowded:
        return found, []
    crowd = crowd_quality([rows.answers[r] for r in crowded], probs[crowded], classes)
    doubted = crowd_suspects([rows.labels[r] for r in crowded], crowd)
    return found + [
        Suspect(crowded[s.row], s.given, s.suggested, s.score, s.method)
        for s in doubted
        if crowded[s.row] not in rows.adjudicated
    ], crowd.annotators


def _train_rows(session: Session, spec: ProjectSpec, version: str, train: list[Example]) -> TrainRows:
    items = {
        item.id: item
        for item in session.scalars(
            select(Item).where(
                Item.dataset_version == version, Item.part == "train", Item.closed_at.is_not(None)
            )
        )
    }
    rows = TrainRows(train, [e.labels if e.labels is not None else e.label for e in train])
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    for record in export_records(session, closed_only=True):
        if record.item in items and isinstance(record.label, str):
            answers[items[record.item].row_id or 0][record.annotator] = record.label
    rows.answers = dict(answers)
    for item_id, decision in decide_items(session, spec, items).items():
        row = items[item_id].row_id or 0
        if decision["label"] is not None and row < len(train):
            rows.labels[row] = decision["label"]
        if decision["decided_by"] == "adjudicated":
            rows.adjudicated.add(row)
    return rows


def _stored(label: str | tuple[str, ...]) -> Any:
    """A label as the store keeps it: a label set as a list."""
    return list(label) if isinstance(label, tuple) else label


def _summary(
    rows: TrainRows,
    suspects: list[Suspect],
    annotators: list[dict[str, Any]],
    queued: int,
    counts: dict[str, Any],
    max_share: float,
) -> dict[str, Any]:
    flagged = {s.row for s in suspects}
    return {
        "rows": len(rows.examples),
        "flagged": len(flagged),
        "share_flagged": len(flagged) / len(rows.examples),
        "max_share": max_share,
        "by_method": {m: sum(s.method == m for s in suspects) for m in sorted({s.method for s in suspects})},
        "queued": queued,
        "queue": counts,
        "annotators": annotators,
        "suspects": [
            {
                **s.to_dict(),
                "given": _stored(s.given),
                "suggested": _stored(s.suggested),
                "text": rows.examples[s.row].text,
            }
            for s in suspects[:SHOWN]
        ],
    }
