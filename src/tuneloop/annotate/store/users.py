"""Users and roles. Roles are cumulative: a reviewer may also annotate, an admin may do everything
except annotate (an admin sees every answer, so an admin's own answer would not be blind).
Names are checked by `names.py`; a disabled user keeps their answers but can no longer act."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.errors import NotAllowed, StoreError
from tuneloop.annotate.store.models import ROLES, User
from tuneloop.annotate.store.names import check_name
from tuneloop.annotate.store.repository import audit

CAN_ANNOTATE = ("annotator", "reviewer")
CAN_REVIEW = ("reviewer", "admin")
CAN_ADJUDICATE = ("reviewer", "admin")


def add_user(
    session: Session,
    name: str,
    role: str = "annotator",
    *,
    skills: Iterable[str] = (),
    by: User | None = None,
) -> User:
    """Create a user; `skills` are domain tags (`legal`, `medical`) used when claims route by skill."""
    if role not in ROLES:
        raise StoreError(f"role {role!r} is not one of {', '.join(ROLES)}")
    name = check_name(name)
    if by is not None:
        require_role(by, ("admin",), "add users")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise StoreError(f"a user named {name!r} exists already")
    user = User(name=name, role=role, skills=sorted(set(skills)))
    session.add(user)
    audit(session, by, "user.add", user, name=user.name, role=role, skills=user.skills)
    return user


def require_role(user: User, roles: tuple[str, ...], doing: str) -> None:
    if user.role not in roles:
        raise NotAllowed(f"{user.name} is {user.role!r}; only {' or '.join(roles)} may {doing}")
