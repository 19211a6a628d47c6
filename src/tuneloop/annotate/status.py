"""Where annotation stands: items by state, each annotator's progress, the guideline version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tuneloop.annotate.store import progress
from tuneloop.annotate.store.models import OUTPUT_REVIEW, Adjudication, Item, LabelSchema
from tuneloop.annotate.store.repository import closed_items, latest_guidelines
from tuneloop.annotate.store.review import is_disputed


def store_status(session: Session) -> dict[str, Any]:
    labelling = select(func.count(Item.id)).join(LabelSchema, LabelSchema.id == Item.label_schema_id)
    total = session.scalar(labelling.where(LabelSchema.kind != OUTPUT_REVIEW)) or 0  # reviews: not data
    closed = closed_items(session)
    adjudicated = session.scalar(select(func.count(Adjudication.id))) or 0
    guidelines = latest_guidelines(session)
    return {
        "items": {
            "total": total,
            "open": total - len(closed),
            "closed": len(closed),
            "disputed": sum(is_disputed(session, item) for item in closed),
            "adjudicated": adjudicated,
        },
        "guideline_version": guidelines.version if guidelines else None,
        "annotators": [
            {"name": p.user, "submitted": p.submitted, "open": p.claimed, "skipped": p.skipped}
            for p in progress(session)
        ],
    }
