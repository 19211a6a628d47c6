"""Passwords, browser sessions and login rate limits: who may act through the web app.

Passwords are stored only as argon2id hashes. A login is refused (`TooManyAttempts`) once a user
name, or a client address, has failed `MAX_FAILURES_PER_NAME` / `MAX_FAILURES_PER_CLIENT` times
within `WINDOW`; the attempts live in the store, so the limit survives a restart and holds across
server processes. A session is a random token whose SHA-256 is kept; signing in always makes a new
one (no session fixation) and signing out deletes it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.errors import LoginRefused, StoreError, TooManyAttempts
from tuneloop.annotate.store.models import LoginAttempt, User, WebSession, utcnow
from tuneloop.annotate.store.repository import audit
from tuneloop.annotate.store.users import require_role

MIN_PASSWORD = 8
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_CLIENT = 20
SESSION_LIFETIME = timedelta(hours=12)

# OWASP's argon2id setting (19 MiB, 2 passes, 1 lane): costly to guess offline, yet cheap enough
# that a morning's logins do not stall a small server (the library default is 3x the work).
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
# Verified against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def set_password(session: Session, user: User, password: str, *, by: User | None = None) -> None:
    """Store the argon2 hash of `password` for `user` (by themselves, the CLI, or an admin)."""
    if by is not None and by.id != user.id:
        require_role(by, ("admin",), "set other users' passwords")
    if len(password) < MIN_PASSWORD:
        raise StoreError(f"a password needs at least {MIN_PASSWORD} characters")
    user.password_hash = _hasher.hash(password)
    audit(session, by, "user.password", user)


def authenticate(store: Store, name: str, password: str, client: str) -> User:
    """The user whose name and password these are, or `LoginRefused` / `TooManyAttempts`.

    Takes the store rather than a session: argon2 is slow on purpose, and checking it inside a
    transaction would hold SQLite's write lock for every other request meanwhile.
    """
    with store.begin() as session:
        _check_rate(session, name, client)
        user = session.scalar(select(User).where(User.name == name))
        stored = user.password_hash if user is not None else None
    ok = _verify(stored or _DUMMY_HASH, password) and stored is not None
    with store.begin() as session:
        session.add(LoginAttempt(user_name=name[:200], client=client[:100], succeeded=ok))
    if not ok or user is None:
        raise LoginRefused("unknown user name or wrong password")
    return user


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_rate(session: Session, name: str, client: str) -> None:
    since = utcnow() - WINDOW
    failed = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False)
    )
    if (session.scalar(failed.where(LoginAttempt.user_name == name)) or 0) >= MAX_FAILURES_PER_NAME:
        raise TooManyAttempts(f"too many failed logins for {name!r}; try again in {WINDOW.seconds // 60} min")
    if (session.scalar(failed.where(LoginAttempt.client == client)) or 0) >= MAX_FAILURES_PER_CLIENT:
        raise TooManyAttempts(
            f"too many failed logins from this address; try again in {WINDOW.seconds // 60} min"
        )


def open_session(session: Session, user: User) -> str:
    """A new session token for `user` (the caller puts it in a cookie; only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(WebSession(token_sha256=_digest(token), user_id=user.id, expires_at=now + SESSION_LIFETIME))
    audit(session, user, "session.open", user)
    return token


def session_user(session: Session, token: str) -> User | None:
    """The user signed in with `token`, or None (unknown or expired)."""
    row = session.get(WebSession, _digest(token))
    if row is None or _aware(row.expires_at) <= utcnow():
        return None
    return row.user


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
