"""Blinding: what one user may see of an item's answers.

An annotator who sees another's answer is no longer an independent second opinion, and agreement
measured on such answers is inflated. So until an item closes, a user sees only their own rows;
once it is closed everyone sees every row. Admins always see everything (and therefore never
annotate; see `users.py`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tuneloop.annotate.store.models import Annotation, Item, User
from tuneloop.annotate.store.repository import history


def annotations_visible_to(session: Session, user: User, item: Item) -> list[Annotation]:
    """The item's annotation rows (history included, oldest first) that `user` may see."""
    rows = history(session, item)
    if user.role == "admin" or item.closed_at is not None:
        return rows
    return [row for row in rows if row.annotator_id == user.id]
