"""A model's suggestions on open items: the label (or label set), its calibrated probability, every
label's probability, which agent and model version made it, and when.

`tuneloop assist suggest` writes one round of them at a time: `replace_suggestions` gives each
scored item the new model's suggestion and takes the suggestion off every other open item of the
schema, so no item shows a stale suggestion from an older model beside fresh ones. What was
replaced is kept in the audit entry (counts, agent and model), never silently.

Whether an item shows its suggestion (`suggestion_for`): a share of the items (`blind_share`,
chosen by a hash of the item id, so the same items on every server and every day) never do, and
neither do gold or evaluation items: a model output to judge (`output_review`), an item someone
adjudicated or a finder queued for review. Those items still carry their suggestion, and every
answer records it (`Annotation.suggestion_label`) with whether it was on screen: the blind answers
are the baseline that the anchoring measure (assist/anchoring.py) compares the shown ones with. A label the
anchoring gate switched off (`LabelSchema.suggestions_off`) shows no suggestion that names it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.errors import StoreError
from tuneloop.annotate.store.items import FEEDBACK
from tuneloop.annotate.store.labels import check_label
from tuneloop.annotate.store.models import (
    OUTPUT_REVIEW,
    Annotation,
    Item,
    LabelIssue,
    LabelSchema,
    User,
    utcnow,
)
from tuneloop.annotate.store.repository import adjudication_of, audit

SUGGESTIBLE = ("single_label", "multi_label")


@dataclass(frozen=True)
class NewSuggestion:
    """One item's suggestion: a label or a label set (a list), the calibrated probability of it
    (for a set: of the whole set), and each label's calibrated probability."""

    item_id: int
    label: Any
    probability: float
    probabilities: dict[str, float]


def open_items(session: Session, schema: LabelSchema) -> list[Item]:
    """The schema's items still taking answers, by id: what suggestions are for."""
    query = select(Item).where(Item.label_schema_id == schema.id, Item.closed_at.is_(None))
    return list(session.scalars(query.order_by(Item.id)))


def replace_suggestions(
    session: Session,
    schema: LabelSchema,
    suggestions: Sequence[NewSuggestion],
    agent: str,
    model_version: str,
    *,
    by: User | None = None,
) -> dict[str, int]:
    """Store the new suggestions and clear every other open item's: counts of items suggested,
    replaced (they held an older one), cleared (an older one, and none from this model), skipped
    (not an open item of the schema: closed while the model scored it) and kept (routed from the
    model's use with a suggestion of their own)."""
    if schema.kind not in SUGGESTIBLE:
        raise StoreError(
            f"schema {schema.name!r} ({schema.kind}) takes no suggestions; only labels or label sets"
        )
    given = {s.item_id: s for s in suggestions}
    replaced = cleared = kept = 0
    now = utcnow()
    for item in open_items(session, schema):
        if routed_from_use(item):  # the answer people are asked to judge stays what was served or told
            kept += given.pop(item.id, None) is not None
            continue
        new = given.pop(item.id, None)
        had = item.suggestion_label is not None
        if new is None:
            cleared += had
            _set(item, None, None, None, None, None, None)
            continue
        if not 0.0 <= new.probability <= 1.0:
            raise StoreError(f"item {item.id}: suggestion probability {new.probability} is not within 0..1")
        replaced += had
        label = check_label(schema, new.label)
        _set(item, label, new.probability, dict(new.probabilities), agent, model_version, now)
    # what is left was not open: an item that closed while the model scored it takes no suggestion
    counts = {"suggested": len(suggestions) - len(given) - kept, "replaced": replaced, "cleared": cleared}
    counts |= {"skipped": len(given), "kept": kept}
    audit(session, by, "items.suggest", ("items", schema.name), agent=agent, model=model_version, **counts)
    return counts


def routed_from_use(item: Item) -> bool:
    """An item `tuneloop round next` routed with a suggestion of its own (a user's correction, the
    served answer): a model's suggestion never replaces it."""
    return (item.suggestion_agent or "").startswith(f"{FEEDBACK}:")


def _set(
    item: Item,
    label: Any,
    probability: float | None,
    probabilities: dict[str, float] | None,
    agent: str | None,
    model: str | None,
    at: Any,
) -> None:
    item.suggestion_label, item.suggestion_confidence = label, probability
    item.suggestion_probabilities, item.suggestion_agent = probabilities, agent
    item.suggestion_model, item.suggested_at = model, at


def suggestion_counts(session: Session, schema: LabelSchema) -> dict[str, int]:
    """Open items with a suggestion, and answers given with one on screen."""
    suggested = sum(i.suggestion_label is not None for i in open_items(session, schema))
    shown = session.scalars(
        select(Annotation.id)
        .join(Item, Item.id == Annotation.item_id)
        .where(Item.label_schema_id == schema.id, Annotation.suggestion_shown.is_(True))
    )
    return {"open_with_suggestion": suggested, "answers_shown_one": len(list(shown))}


def hashed_blind(item_id: int, share: float) -> bool:
    """Whether item `item_id` falls in the blind share: a hash of the id, uniform in [0, 1)."""
    digest = hashlib.sha256(f"tuneloop-blind:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def always_blind(session: Session, item: Item) -> bool:
    """Gold and evaluation items: a model output to judge (an `output_review` item), or an item
    whose label an expert decides (adjudicated, or queued as a suspect label)."""
    if item.label_schema.kind == OUTPUT_REVIEW:
        return True
    queued = session.scalar(select(LabelIssue.id).where(LabelIssue.item_id == item.id).limit(1))
    return queued is not None or adjudication_of(session, item) is not None


def suggestion_for(
    session: Session, item: Item, enabled: bool, blind_share: float = 0.0
) -> tuple[Any, float | None] | None:
    """The suggestion to show with `item` (label, confidence), or None: suggestions are off, the
    item has none, it is blind, or its suggestion names a label the anchoring gate switched off."""
    if not enabled or item.suggestion_label is None or hashed_blind(item.id, blind_share):
        return None
    if always_blind(session, item):
        return None
    named = item.suggestion_label if isinstance(item.suggestion_label, list) else [item.suggestion_label]
    if set(named) & set(item.label_schema.suggestions_off or []):
        return None
    return item.suggestion_label, item.suggestion_confidence


def switch_off(session: Session, schema: LabelSchema, labels: Sequence[str], by: User | None = None) -> bool:
    """Set the labels whose suggestions are off (the anchoring gate's verdict); True if it changed."""
    wanted = sorted(set(labels))
    if wanted == sorted(schema.suggestions_off or []):
        return False
    audit(session, by, "schema.suggestions_off", schema, before=schema.suggestions_off or [], after=wanted)
    schema.suggestions_off = wanted
    return True
