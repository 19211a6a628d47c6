"""Review: a second expert, never one of the item's annotators, accepts or corrects each answer.

Only closed items that their annotators agree on are reviewed here; items they disagree on go to
adjudication (`adjudicate.py`), where the decision is the review, and `review` refuses them (a
"correction" of one side of a dispute would otherwise erase it without an adjudication). Each
answer is reviewed once; the item row is locked first, so concurrent reviews and adjudications of
one item take turns and each sees what the previous one decided. A correction never edits the
answer: it writes a new annotation row, authored by the reviewer, that supersedes it.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.errors import NotAllowed, StoreError, WrongState
from tuneloop.annotate.store.field_answers import differing_fields, schema_fields
from tuneloop.annotate.store.guidelines import current_guidelines
from tuneloop.annotate.store.labels import check_label, same_label, sets_disputed
from tuneloop.annotate.store.models import FIELDS, MULTI_LABEL, Annotation, Item, Review, User
from tuneloop.annotate.store.repository import (
    adjudication_of,
    annotators_of,
    audit,
    closed_items,
    current_annotations,
    get,
    is_current,
    lock_item,
)
from tuneloop.annotate.store.users import CAN_REVIEW, require_role


def is_disputed(session: Session, item: Item) -> bool:
    """A closed item whose current answers are not all the same label (for label sets: that
    differ as `sets_disputed` says; for records: that differ on a field's comparison key)."""
    labels = [a.label for a in current_annotations(session, item)]
    differ = item.closed_at is not None and any(not same_label(labels[0], other) for other in labels[1:])
    if differ and item.label_schema.kind == MULTI_LABEL:
        return sets_disputed(item.label_schema, labels)
    if differ and item.label_schema.kind == FIELDS:
        return bool(differing_fields(schema_fields(item.label_schema.field_schema), labels))
    return differ


def items_needing_review(session: Session, reviewer: User) -> list[Item]:
    """Closed, agreed items with an answer not yet reviewed, that `reviewer` did not annotate."""
    require_role(reviewer, CAN_REVIEW, "review")
    reviewed = set(session.scalars(select(Review.annotation_id)))
    queue = []
    for item in closed_items(session):
        if reviewer.id in annotators_of(session, item) or adjudication_of(session, item) is not None:
            continue
        if is_disputed(session, item):
            continue
        if any(a.id not in reviewed for a in current_annotations(session, item)):
            queue.append(item)
    return queue


def unreviewed_answers(session: Session, item: Item) -> list[Annotation]:
    """The item's current answers that no reviewer has judged yet: what the review page offers."""
    reviewed = set(
        session.scalars(
            select(Review.annotation_id)
            .join(Annotation, Annotation.id == Review.annotation_id)
            .where(Annotation.item_id == item.id)
        )
    )
    return [a for a in current_annotations(session, item) if a.id not in reviewed]


def review(
    session: Session,
    reviewer: User,
    annotation: Annotation,
    verdict: Literal["accept", "correct"],
    *,
    label: Any = None,
    reason: str | None = None,
) -> Review:
    """Accept an answer, or correct it with a new label and the reason for the change."""
    require_role(reviewer, CAN_REVIEW, "review")
    annotation = get(session, Annotation, annotation.id)  # this session's copy, whatever was passed
    item = lock_item(session, annotation.item_id)
    assert item is not None
    if reviewer.id in annotators_of(session, item):
        raise NotAllowed(f"{reviewer.name} annotated item {item.id} and cannot review it")
    _check_reviewable(session, item, annotation)
    if verdict not in ("accept", "correct"):
        raise StoreError(f"verdict {verdict!r} is not accept or correct")
    row = Review(annotation_id=annotation.id, reviewer_id=reviewer.id, verdict=verdict)
    if verdict == "correct":
        if not (reason or "").strip():
            raise StoreError("a correction needs a reason")
        value = check_label(item.label_schema, label, item.text)
        if same_label(value, annotation.label):
            raise StoreError("the correction gives the same label; accept the answer instead")
        correction = Annotation(
            item_id=item.id,
            annotator_id=annotation.annotator_id,
            author_id=reviewer.id,
            label=value,
            guideline_version_id=current_guidelines(session).id,
            supersedes_id=annotation.id,
        )
        session.add(correction)
        session.flush()
        row.reason, row.correction_id = (reason or "").strip(), correction.id
    session.add(row)
    audit(
        session,
        reviewer,
        f"review.{verdict}",
        row,
        annotation_id=annotation.id,
        item_id=item.id,
        correction_id=row.correction_id,
        reason=row.reason,
    )
    return row


def _check_reviewable(session: Session, item: Item, annotation: Annotation) -> None:
    """`WrongState` unless the answer waits for review: the rule `items_needing_review` applies."""
    if item.closed_at is None:
        raise WrongState(f"item {item.id} is still open; answers are reviewed once it closes")
    if not is_current(session, annotation):
        raise WrongState(f"annotation {annotation.id} has been superseded; review the current answer")
    if adjudication_of(session, item) is not None:
        raise WrongState(f"item {item.id} is adjudicated; its gold label is decided")
    if is_disputed(session, item):
        raise WrongState(f"item {item.id} is disputed; it goes to adjudication, not review")
    if session.scalar(select(Review.id).where(Review.annotation_id == annotation.id)) is not None:
        raise WrongState(f"annotation {annotation.id} has been reviewed already")
