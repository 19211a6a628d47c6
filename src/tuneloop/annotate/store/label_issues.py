"""The label-issue review queue: labels a finder suspects, waiting for a reviewer's decision.

A finder (`tuneloop assist label-issues`) queues a suspect with its reason: the label given, the
label it suggests, its score of the given label and its method. The reviewer keeps the given label
or sets another; either way the decision is the item's adjudication (`record_adjudication`), so it
is the item's gold label from then on and the next round trains on it (annotate/training_labels.py).

A training row nobody annotated gets an item of its own, keyed as `annotate import` would key it
and closed at once with no annotators, so it is reviewed, never served to annotators. A suspect is
queued once per (item, method), and never for an adjudicated item: an expert has decided it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.adjudicate import record_adjudication
from tuneloop.annotate.store.errors import NotFound, WrongState
from tuneloop.annotate.store.labels import same_label
from tuneloop.annotate.store.models import Item, LabelIssue, LabelSchema, User, utcnow
from tuneloop.annotate.store.repository import adjudication_of, annotators_of, audit, lock_item
from tuneloop.data.example import Example


def row_item(
    session: Session, version: str, part: str, row: int, example: Example, schema: LabelSchema, overlap: int
) -> Item:
    """The item of a DatasetVersion row: the imported one, or a new closed one for review alone."""
    key = f"dataset:{version}:{part}:{row}"
    item = session.scalar(select(Item).where(Item.source_key == key))
    if item is None:
        item = Item(
            external_id=example.id,
            text=example.text,
            source_key=key,
            source_kind="dataset",
            dataset_version=version,
            part=part,
            row_id=row,
            label_schema_id=schema.id,
            overlap=overlap,
            closed_at=utcnow(),
        )
        session.add(item)
        session.flush()
    return item


def queue_issue(
    session: Session,
    item: Item,
    method: str,
    given: Any,
    suggested: Any,
    score: float,
    detail: dict[str, Any] | None = None,
    by: User | None = None,
) -> LabelIssue | None:
    """Queue a suspect label; None when this method already queued the item or it is adjudicated."""
    known = session.scalar(
        select(LabelIssue).where(LabelIssue.item_id == item.id, LabelIssue.method == method)
    )
    if known is not None or adjudication_of(session, item) is not None:
        return None
    issue = LabelIssue(
        item_id=item.id,
        method=method,
        given_label=given,
        suggested_label=suggested,
        score=float(score),
        detail=detail or {},
    )
    session.add(issue)
    audit(session, by, "label_issue.add", issue, item_id=item.id, method=method, score=float(score))
    return issue


def open_issues(session: Session, reviewer: User | None = None) -> list[LabelIssue]:
    """The queue, most suspect first (lowest score); for `reviewer`, without the items they annotated
    (nobody decides on their own answer) and without items another method's issue already settled."""
    query = select(LabelIssue).where(LabelIssue.state == "open").order_by(LabelIssue.score, LabelIssue.id)
    issues = [i for i in session.scalars(query) if adjudication_of(session, i.item) is None]
    if reviewer is None:
        return issues
    return [i for i in issues if reviewer.id not in annotators_of(session, i.item)]


def resolve_issue(
    session: Session, reviewer: User, issue: LabelIssue, label: Any, note: str = ""
) -> LabelIssue:
    """The reviewer's decision: `label` is the item's gold label (the given one: kept; another:
    corrected), recorded as its adjudication with the issue named."""
    item = lock_item(session, issue.item_id)
    if item is None:
        raise NotFound(f"no items row with id {issue.item_id}")
    if issue.state != "open":
        raise WrongState(f"label issue {issue.id} is already reviewed ({issue.state})")
    why = note or f"label issue {issue.id} ({issue.method})"
    decision = record_adjudication(session, reviewer, item, label, why, label_issue=issue.id)
    issue.state = "kept" if same_label(decision.label, issue.given_label) else "corrected"
    issue.adjudication_id = decision.id
    audit(session, reviewer, "label_issue.review", issue, state=issue.state, label=decision.label)
    return issue


def issue_counts(session: Session) -> dict[str, Any]:
    """Issues per state and per method, and the routed list's precision: the share of reviewed
    issues whose label the reviewer changed."""
    issues = list(session.scalars(select(LabelIssue)))
    states = Counter(i.state for i in issues)
    reviewed = states["kept"] + states["corrected"]
    return {
        "found": len(issues),
        **{state: states[state] for state in ("open", "kept", "corrected")},
        "by_method": dict(Counter(i.method for i in issues)),
        "precision": states["corrected"] / reviewed if reviewed else None,
    }
