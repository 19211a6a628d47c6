"""Repository functions: the store's reads and writes as plain functions of a Session.

They know the tables, not the rules; the services (`users`, `assign`, `review`, `adjudicate`, ...)
decide what is allowed and call these. Nothing here commits: the caller's transaction
(`Store.begin()`) decides when a change becomes visible.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.errors import NotFound
from tuneloop.annotate.store.models import (
    MAX_ID,
    OUTPUT_REVIEW,
    Adjudication,
    Annotation,
    Assignment,
    AuditEntry,
    Base,
    GuidelineVersion,
    Item,
    LabelSchema,
    User,
)

M = TypeVar("M", bound=Base)


def get(session: Session, model: type[M], ident: int) -> M:
    row = session.get(model, ident) if 1 <= ident <= MAX_ID else None
    if row is None:
        raise NotFound(f"no {model.__tablename__} row with id {ident}")
    return row


def user_by_name(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def latest_guidelines(session: Session) -> GuidelineVersion | None:
    return session.scalar(select(GuidelineVersion).order_by(GuidelineVersion.version.desc()).limit(1))


def audit(
    session: Session, actor: User | None, action: str, obj: Base | tuple[str, str], **detail: Any
) -> AuditEntry:
    """Record `actor` doing `action` to `obj` (a row, or a (type, id) pair for a batch), in the same
    transaction as the change."""
    session.flush()  # so `obj` has its id
    object_type, object_id = (
        obj if isinstance(obj, tuple) else (obj.__tablename__, str(getattr(obj, "id", "")))
    )
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )
    session.add(entry)
    return entry


def audit_log(session: Session, object_type: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if object_type is not None:
        query = query.where(AuditEntry.object_type == object_type)
    return list(session.scalars(query))


def assignment(session: Session, item: Item, user: User) -> Assignment | None:
    return session.scalar(
        select(Assignment).where(Assignment.item_id == item.id, Assignment.user_id == user.id)
    )


def open_assignment(session: Session, user: User) -> Assignment | None:
    """The user's oldest claim not yet submitted or skipped."""
    return session.scalar(
        select(Assignment)
        .where(
            Assignment.user_id == user.id,
            Assignment.submitted_at.is_(None),
            Assignment.skipped_at.is_(None),
        )
        .order_by(Assignment.id)
        .limit(1)
    )


def slots_taken(session: Session, item_id: int) -> list[int]:
    query = select(Assignment.slot).where(Assignment.item_id == item_id, Assignment.slot.is_not(None))
    return [slot for slot in session.scalars(query) if slot is not None]


def submitted_count(session: Session, item: Item) -> int:
    query = select(func.count()).where(Assignment.item_id == item.id, Assignment.submitted_at.is_not(None))
    return int(session.scalar(query) or 0)


def annotators_of(session: Session, item: Item) -> set[int]:
    """Ids of the users who took part in annotating the item: claimed it and did not skip it."""
    query = select(Assignment.user_id).where(Assignment.item_id == item.id, Assignment.skipped_at.is_(None))
    return set(session.scalars(query))


def history(session: Session, item: Item) -> list[Annotation]:
    """Every annotation row of the item, oldest first: the full, immutable history."""
    return list(
        session.scalars(select(Annotation).where(Annotation.item_id == item.id).order_by(Annotation.id))
    )


def current_annotations(session: Session, item: Item) -> list[Annotation]:
    """Per annotator, the newest row of their slot, unless that row is a retraction (an undo)."""
    latest: dict[int, Annotation] = {}
    for row in history(session, item):
        latest[row.annotator_id] = row
    return [row for row in latest.values() if not row.retracted]


def is_current(session: Session, annotation: Annotation) -> bool:
    superseded = session.scalar(select(Annotation.id).where(Annotation.supersedes_id == annotation.id))
    return superseded is None and not annotation.retracted


def lock_item(session: Session, item_id: int) -> Item | None:
    """The item row, locked until commit on PostgreSQL (SQLite already holds the write lock): what
    serialises the changes of one item's state (claims, submissions, reviews, adjudication)."""
    return session.scalar(
        select(Item).where(Item.id == item_id).with_for_update().execution_options(populate_existing=True)
    )


def adjudication_of(session: Session, item: Item) -> Adjudication | None:
    return session.scalar(select(Adjudication).where(Adjudication.item_id == item.id))


def closed_items(session: Session) -> list[Item]:
    """Closed items that label data. Closed reviews of model outputs (`output_review`) are not
    among them: two reviewers rating an output 4 and 5 is no dispute to adjudicate, and their
    answers come back through `tuneloop review results`."""
    query = (
        select(Item)
        .join(LabelSchema, LabelSchema.id == Item.label_schema_id)
        .where(Item.closed_at.is_not(None), LabelSchema.kind != OUTPUT_REVIEW)
    )
    return list(session.scalars(query.order_by(Item.id)))
