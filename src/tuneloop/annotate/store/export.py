"""Records for the agreement code: who labelled which item how, under which guidelines.

Agreement measures independent judgements, so by default a record is the annotator's own current
answer; a reviewer's correction of it is exported only with `corrected=True`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.models import (
    OUTPUT_REVIEW,
    Annotation,
    GuidelineVersion,
    Item,
    LabelSchema,
    User,
)


@dataclass(frozen=True)
class AnnotationRecord:
    item: int  # Item.id
    external_id: str  # the example or model-output id the item came from
    annotator: str  # User.name
    label: Any
    guideline_version: int


def export_records(
    session: Session, *, corrected: bool = False, closed_only: bool = False
) -> list[AnnotationRecord]:
    """One record per (item, annotator) with a current answer, ordered by item then annotator.

    Reviews of model outputs (`output_review` items) are left out: they judge a model, they are
    not labels of the data, and come back through `tuneloop review results` instead."""
    query = (
        select(Annotation, Item.external_id, User.name, GuidelineVersion.version)
        .join(Item, Item.id == Annotation.item_id)
        .join(LabelSchema, LabelSchema.id == Item.label_schema_id)
        .where(LabelSchema.kind != OUTPUT_REVIEW)
        .join(User, User.id == Annotation.annotator_id)
        .join(GuidelineVersion, GuidelineVersion.id == Annotation.guideline_version_id)
        .order_by(Annotation.id)
    )
    if closed_only:
        query = query.where(Item.closed_at.is_not(None))
    latest: dict[tuple[int, int], AnnotationRecord | None] = {}
    for row, external_id, name, version in session.execute(query):
        if row.author_id != row.annotator_id and not corrected:
            continue  # a reviewer's correction: not the annotator's own judgement
        key = (row.item_id, row.annotator_id)
        latest[key] = (
            None if row.retracted else AnnotationRecord(row.item_id, external_id, name, row.label, version)
        )
    return sorted((r for r in latest.values() if r is not None), key=lambda r: (r.item, r.annotator))
