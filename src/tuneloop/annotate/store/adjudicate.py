"""Adjudication: the gold label of an item its annotators disagree on.

The adjudicator is a reviewer or admin who did not annotate the item. The decision keeps its full
provenance: who, when, under which guideline version, with what note, and which annotations it
overrode (those whose label differs from the gold one).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tuneloop.annotate.store.errors import NotAllowed, NotFound, WrongState
from tuneloop.annotate.store.guidelines import current_guidelines
from tuneloop.annotate.store.labels import check_label, same_label
from tuneloop.annotate.store.models import Adjudication, AdjudicationOverride, Item, User
from tuneloop.annotate.store.repository import (
    adjudication_of,
    annotators_of,
    audit,
    closed_items,
    current_annotations,
    lock_item,
)
from tuneloop.annotate.store.review import is_disputed
from tuneloop.annotate.store.users import CAN_ADJUDICATE, require_role


def disagreements(session: Session, adjudicator: User | None = None) -> list[Item]:
    """The adjudication queue: closed, disputed, not yet adjudicated items (for `adjudicator`:
    without the ones they annotated)."""
    queue = []
    for item in closed_items(session):
        if adjudication_of(session, item) is not None or not is_disputed(session, item):
            continue
        if adjudicator is not None and adjudicator.id in annotators_of(session, item):
            continue
        queue.append(item)
    return queue


def adjudicate(session: Session, adjudicator: User, item: Item, label: Any, note: str = "") -> Adjudication:
    """Decide the gold label of a disputed item."""
    require_role(adjudicator, CAN_ADJUDICATE, "adjudicate")
    locked = lock_item(session, item.id)  # this session's copy; concurrent decisions take turns
    if locked is None:
        raise NotFound(f"no items row with id {item.id}")
    if not is_disputed(session, locked):
        if adjudication_of(session, locked) is not None:
            raise WrongState(f"item {locked.id} is already adjudicated")
        raise WrongState(f"item {locked.id} is not in dispute (open, or its annotators agree)")
    return record_adjudication(session, adjudicator, locked, label, note)


def record_adjudication(
    session: Session, adjudicator: User, item: Item, label: Any, note: str, **detail: Any
) -> Adjudication:
    """Write the gold label of `item` (locked by the caller), with the annotations it overrides and
    the audit entry; for a disputed item (`adjudicate`) and a reviewed label issue alike. The
    adjudicator never annotated the item, and an item is adjudicated once."""
    require_role(adjudicator, CAN_ADJUDICATE, "adjudicate")
    if adjudicator.id in annotators_of(session, item):
        raise NotAllowed(f"{adjudicator.name} annotated item {item.id} and cannot adjudicate it")
    if adjudication_of(session, item) is not None:
        raise WrongState(f"item {item.id} is already adjudicated")
    value = check_label(item.label_schema, label, item.text)
    guidelines = current_guidelines(session)
    decision = Adjudication(
        item_id=item.id,
        adjudicator_id=adjudicator.id,
        label=value,
        note=note,
        guideline_version_id=guidelines.id,
    )
    session.add(decision)
    session.flush()
    overridden = [a for a in current_annotations(session, item) if not same_label(a.label, value)]
    session.add_all(AdjudicationOverride(adjudication_id=decision.id, annotation_id=a.id) for a in overridden)
    session.flush()
    session.refresh(decision)
    audit(
        session,
        adjudicator,
        "adjudication.add",
        decision,
        item_id=item.id,
        label=value,
        guideline_version=guidelines.version,
        overridden=[a.id for a in overridden],
        **detail,
    )
    return decision
