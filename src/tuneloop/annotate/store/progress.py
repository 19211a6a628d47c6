"""Progress per annotator and per item state, for the dashboard and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.models import Assignment, Item, User, utcnow


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


@dataclass(frozen=True)
class DayProgress:
    today: int  # answers submitted in the last 24 hours
    remaining: int  # open items this user has not taken yet, plus their unanswered claims


def day_progress(session: Session, user: User) -> DayProgress:
    """What the annotator's queue page shows: their count for today and what is left for them."""
    today = select(func.count(Assignment.id)).where(
        Assignment.user_id == user.id, Assignment.submitted_at >= utcnow() - timedelta(days=1)
    )
    mine = select(Assignment.id).where(Assignment.item_id == Item.id, Assignment.user_id == user.id)
    untaken = select(func.count(Item.id)).where(Item.closed_at.is_(None), ~mine.exists())
    pending = select(func.count(Assignment.id)).where(
        Assignment.user_id == user.id, Assignment.submitted_at.is_(None), Assignment.skipped_at.is_(None)
    )
    return DayProgress(
        int(session.scalar(today) or 0), int(session.scalar(untaken) or 0) + int(session.scalar(pending) or 0)
    )


@dataclass(frozen=True)
class SkipNote:
    user: str
    item_id: int
    reason: str


def recent_skips(session: Session, limit: int = 20) -> list[SkipNote]:
    """The newest skips with their reasons: where the guidelines leave annotators unsure."""
    query = (
        select(User.name, Assignment.item_id, Assignment.skip_reason)
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.skipped_at.is_not(None))
        .order_by(Assignment.skipped_at.desc(), Assignment.id.desc())
        .limit(limit)
    )
    return [SkipNote(name, item_id, reason or "") for name, item_id, reason in session.execute(query)]
