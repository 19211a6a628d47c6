"""Blinding: what one user may see of an item's answers.

An annotator who sees another's answer is no longer an independent second opinion, and agreement
measured on such answers is inflated. So until an item closes, a user sees only their own rows;
once it is closed everyone sees every row. Admins always see everything (and therefore never
annotate; see `users.py`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tuneloop.annotate.store.errors import NotFound
from tuneloop.annotate.store.models import MAX_ID, Annotation, Item, User
from tuneloop.annotate.store.repository import assignment, history
from tuneloop.annotate.store.users import CAN_REVIEW


def annotations_visible_to(session: Session, user: User, item: Item) -> list[Annotation]:
    """The item's annotation rows (history included, oldest first) that `user` may see."""
    rows = history(session, item)
    if user.role == "admin" or item.closed_at is not None:
        return rows
    return [row for row in rows if row.annotator_id == user.id]


def item_for(session: Session, user: User, item_id: int) -> Item:
    """The item `item_id` if `user` has a part in it: admins see every item, others one they
    claimed, and reviewers also closed items (which they review or adjudicate). Anything else is
    `NotFound`, the same answer as an id that does not exist, so ids cannot be probed."""
    item = session.get(Item, item_id) if 1 <= item_id <= MAX_ID else None
    if item is not None and (
        user.role == "admin"
        or assignment(session, item, user) is not None
        or (user.role in CAN_REVIEW and item.closed_at is not None)
    ):
        return item
    raise NotFound(f"no item {item_id} for {user.name}")
