"""Progress per annotator and per item state, for the dashboard and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.models import Assignment, User


@dataclass(frozen=True)
class AnnotatorProgress:
    user: str
    claimed: int  # open claims, not yet answered
    submitted: int
    skipped: int


def progress(session: Session) -> list[AnnotatorProgress]:
    """One line per user with at least one claim, by name."""
    query = (
        select(
            User.name,
            func.count(Assignment.id).filter(
                Assignment.submitted_at.is_(None), Assignment.skipped_at.is_(None)
            ),
            func.count(Assignment.submitted_at),
            func.count(Assignment.skipped_at),
        )
        .join(Assignment, Assignment.user_id == User.id)
        .group_by(User.name)
        .order_by(User.name)
    )
    return [
        AnnotatorProgress(name, claimed, submitted, skipped)
        for name, claimed, submitted, skipped in session.execute(query)
    ]
