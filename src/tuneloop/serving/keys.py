"""API keys of the served model's clients (`tuneloop keys add|list|revoke`).

A key is shown once, when it is made; the store keeps only its SHA-256. Why not argon2, as for
passwords: a password is a word a person picked, so its hash must be slow to make guessing
costly; a key is 32 random bytes made here (256 bits), which no guessing can find from its hash,
so a slow hash would only add its delay to every request. A fast hash also finds the key by an
indexed lookup of the hash, where a salted argon2 hash would have to be checked against every
stored key.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.models import ApiKey, utcnow
from tuneloop.errors import TuneloopError

TOKEN_PREFIX = "tlk-"  # so a leaked key is recognisable in logs and secret scanners
TOKEN_BYTES = 32


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """A new key named `name` and its token, which is not stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise TuneloopError("a key needs a name (who or what uses it)")
    if session.scalar(select(ApiKey).where(ApiKey.name == name)) is not None:
        raise TuneloopError(f"a key named {name!r} exists; revoke it or pick another name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    key = ApiKey(name=name, token_sha256=token_sha256(token))
    session.add(key)
    session.flush()
    return key, token


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, name: str) -> ApiKey:
    """Revoke the key named `name` at once: the next request that sends it gets a 401."""
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        known = ", ".join(k.name for k in list_keys(session)) or "none yet"
        raise TuneloopError(f"no key named {name!r} (keys: {known})")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def active_key(session: Session, token: str) -> ApiKey | None:
    """The unrevoked key whose token this is, if any."""
    return session.scalar(
        select(ApiKey).where(ApiKey.token_sha256 == token_sha256(token), ApiKey.revoked_at.is_(None))
    )


def has_active_keys(session: Session) -> bool:
    return session.scalar(select(ApiKey.id).where(ApiKey.revoked_at.is_(None)).limit(1)) is not None
