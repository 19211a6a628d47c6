"""Guideline versions: every annotation and adjudication points at the version it was made under,
so a change of guidelines can be traced to the labels it changed."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from tuneloop.annotate.store.errors import WrongState
from tuneloop.annotate.store.models import GuidelineVersion, User
from tuneloop.annotate.store.repository import audit, latest_guidelines
from tuneloop.annotate.store.users import require_role


def publish_guidelines(session: Session, markdown: str, by: User) -> GuidelineVersion:
    """Publish `markdown` as the next version; publishing the current text again changes nothing."""
    require_role(by, ("admin",), "publish guidelines")
    digest = hashlib.sha256(markdown.encode("utf-8")).hexdigest()
    latest = latest_guidelines(session)
    if latest is not None and latest.sha256 == digest:
        return latest
    version = GuidelineVersion(
        version=(latest.version + 1) if latest else 1, markdown=markdown, sha256=digest, published_by_id=by.id
    )
    session.add(version)
    audit(session, by, "guidelines.publish", version, version=version.version, sha256=digest)
    return version


def current_guidelines(session: Session) -> GuidelineVersion:
    """The newest version; annotating before any is published is refused."""
    latest = latest_guidelines(session)
    if latest is None:
        raise WrongState("no guidelines published yet: publish them before anyone annotates")
    return latest
