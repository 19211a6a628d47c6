"""Passwords, browser sessions and login rate limits: who may act through the web app.

Passwords are stored only as argon2id hashes, and must be at least `MIN_PASSWORD` characters and
not among the 10,000 most common passwords (`passwords/`, with its source in the NOTICE there).

Each login attempt is written, counted as failed, in the same transaction that counts the earlier
failures, and only then is the password checked (outside the transaction: argon2 is slow on
purpose); one login's bookkeeping runs at a time (SQLite's write lock, a PostgreSQL advisory lock),
so parallel guesses cannot all pass the count. The limits, within `WINDOW`:

- one address guessing one account: `MAX_FAILURES_PER_PAIR`, then that pair waits;
- one address guessing many accounts: `MAX_FAILURES_PER_CLIENT`, then that address waits;
- many addresses guessing one account: `MAX_FAILURES_PER_NAME` locks the account for new
  addresses, while an address the user signed in from before may still try once per `SLOWDOWN`
  (OWASP: slow the owner down, never let an attacker lock them out).

A session is a random token whose SHA-256 is kept; signing in always makes a new one (no session
fixation), signing out deletes it, and a new password or `disable_user` deletes all of the user's.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.errors import LoginRefused, StoreError, TooManyAttempts, WrongState
from tuneloop.annotate.store.models import LoginAttempt, User, WebSession, utcnow
from tuneloop.annotate.store.names import NAME_MAX, normal_name
from tuneloop.annotate.store.repository import audit
from tuneloop.annotate.store.users import require_role

MIN_PASSWORD = 12
MAX_PASSWORD = 1000  # what the login form takes
MIN_DISTINCT = 5  # `aaaaaaaaaaaa` is long, not strong
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_PAIR = 5
MAX_FAILURES_PER_CLIENT = 20
MAX_FAILURES_PER_NAME = 20
SLOWDOWN = timedelta(seconds=10)
SESSION_LIFETIME = timedelta(hours=12)
_LOGIN_LOCK = 0x7475_6E65  # PostgreSQL advisory lock key: one login's bookkeeping at a time

# OWASP's argon2id setting (19 MiB, 2 passes, 1 lane): costly to guess offline, yet cheap enough
# that a morning's logins do not stall a small server (the library default is 3x the work).
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
# Verified against when the user does not exist, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the most common passwords, case-folded."""
    listed = files("tuneloop.annotate.store").joinpath("passwords/common-passwords.txt")
    return frozenset(line.strip().casefold() for line in listed.read_text("utf-8").splitlines())


def check_password(password: str, name: str = "") -> None:
    """`StoreError` with the reason when `password` is too weak to protect an account."""
    if len(password) < MIN_PASSWORD:
        raise StoreError(
            f"a password needs at least {MIN_PASSWORD} characters (this one has {len(password)})"
        )
    if len(password) > MAX_PASSWORD:
        raise StoreError(f"a password has at most {MAX_PASSWORD} characters")
    if len(set(password)) < MIN_DISTINCT:
        raise StoreError(f"a password needs at least {MIN_DISTINCT} different characters")
    folded = password.casefold()
    if folded in common_passwords() or folded.strip() in common_passwords():
        raise StoreError("that password is among the 10,000 most common ones; choose another")
    if folded == normal_name(name).casefold():
        raise StoreError("a password must not be the user name")


def set_password(session: Session, user: User, password: str, *, by: User | None = None) -> None:
    """Store the argon2 hash of `password` for `user` (by themselves, the CLI, or an admin), and
    end the user's sessions: whoever signed in with the old password is signed out."""
    if by is not None and by.id != user.id:
        require_role(by, ("admin",), "set other users' passwords")
    check_password(password, user.name)
    user.password_hash = _hasher.hash(password)
    audit(session, by, "user.password", user)
    end_sessions(session, user)


def disable_user(session: Session, user: User, *, by: User | None = None) -> None:
    """Refuse `user` sign-in from now on and end their sessions; their answers stay as they are."""
    if by is not None:
        require_role(by, ("admin",), "disable users")
        if by.id == user.id:
            raise WrongState(f"{user.name} cannot disable their own account")
    if user.disabled_at is not None:
        raise WrongState(f"{user.name} is disabled already")
    user.disabled_at = utcnow()
    audit(session, by, "user.disable", user)
    end_sessions(session, user)


def end_sessions(session: Session, user: User) -> None:
    session.flush()
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def authenticate(store: Store, name: str, password: str, client: str) -> User:
    """The user whose name and password these are, or `LoginRefused` / `TooManyAttempts`.

    Takes the store rather than a session: argon2 is slow on purpose, and checking it inside a
    transaction would hold SQLite's write lock for every other request meanwhile.
    """
    name, client = normal_name(name)[:NAME_MAX], client[:100]
    with store.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOGIN_LOCK})
        _check_rate(session, name, client)
        attempt = LoginAttempt(user_name=name, client=client, succeeded=False)  # failed until checked
        session.add(attempt)
        user = session.scalar(select(User).where(User.name == name))
        stored = user.password_hash if user is not None and user.disabled_at is None else None
        session.flush()
        attempt_id = attempt.id
    if not (_verify(stored or _DUMMY_HASH, password) and stored is not None and user is not None):
        raise LoginRefused("unknown user name or wrong password")
    with store.begin() as session:
        session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True))
    return user


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_rate(session: Session, name: str, client: str) -> None:
    failed = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.at >= utcnow() - WINDOW, LoginAttempt.succeeded.is_(False)
    )
    wait = f"try again in {WINDOW.seconds // 60} min"
    by_pair = failed.where(LoginAttempt.user_name == name, LoginAttempt.client == client)
    if (session.scalar(by_pair) or 0) >= MAX_FAILURES_PER_PAIR:
        raise TooManyAttempts(f"too many failed logins for {name!r} from this address; {wait}")
    if (session.scalar(failed.where(LoginAttempt.client == client)) or 0) >= MAX_FAILURES_PER_CLIENT:
        raise TooManyAttempts(f"too many failed logins from this address; {wait}")
    if (session.scalar(failed.where(LoginAttempt.user_name == name)) or 0) < MAX_FAILURES_PER_NAME:
        return
    mine = select(LoginAttempt.at).where(LoginAttempt.user_name == name, LoginAttempt.client == client)
    if session.scalar(mine.where(LoginAttempt.succeeded.is_(True)).limit(1)) is None:
        raise TooManyAttempts(f"{name!r} is locked after many failed logins; {wait}")
    last = session.scalar(mine.order_by(LoginAttempt.at.desc()).limit(1))
    if last is not None and _aware(last) > utcnow() - SLOWDOWN:
        raise TooManyAttempts(
            f"{name!r} is under attack from elsewhere: from this address, one try per {SLOWDOWN.seconds} s"
        )


def open_session(session: Session, user: User) -> str:
    """A new session token for `user` (the caller puts it in a cookie; only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(WebSession(token_sha256=_digest(token), user_id=user.id, expires_at=now + SESSION_LIFETIME))
    audit(session, user, "session.open", user)
    return token


def session_user(session: Session, token: str) -> User | None:
    """The user signed in with `token`, or None (unknown, expired, or the user disabled)."""
    row = session.get(WebSession, _digest(token))
    if row is None or _aware(row.expires_at) <= utcnow() or row.user.disabled_at is not None:
        return None
    return row.user


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
