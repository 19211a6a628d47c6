"""An input routed from the model's use under a weaker origin, that a stronger one now names (a
low-confidence answer a client has since corrected, or rated down), takes the stronger origin and
its suggestion, as long as nobody has answered it yet: `round next` keys an item by reference, so
without this the correction would be dropped as already routed. An answered item is left as it is
(its annotators saw the old suggestion). Origins rank in `FEEDBACK_ORIGINS` order, strongest first.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.items import FEEDBACK, FEEDBACK_ORIGINS, FeedbackItem, fitting, item_origin
from tuneloop.annotate.store.models import Annotation, Item, LabelSchema, User
from tuneloop.annotate.store.repository import audit

RANK = {origin: i for i, origin in enumerate(FEEDBACK_ORIGINS)}


def upgrade_feedback_items(
    session: Session, items: Iterable[FeedbackItem], schema: LabelSchema, *, by: User | None = None
) -> list[Item]:
    """The routed, unanswered items whose reference a stronger origin now names, upgraded to it."""
    best: dict[str, FeedbackItem] = {}
    for item in items:
        if item.ref not in best or RANK[item.origin] < RANK[best[item.ref].origin]:
            best[item.ref] = item
    refs, upgraded = list(best), []
    for start in range(0, len(refs), 500):  # bounded IN lists
        query = select(Item).where(
            Item.source_key.startswith(f"{FEEDBACK}:"), Item.external_id.in_(refs[start : start + 500])
        )
        for routed in session.scalars(query):
            new, old = best[str(routed.external_id)], item_origin(routed.source_key)
            if old is None or RANK[new.origin] >= RANK[old] or _answered(session, routed):
                continue
            label = fitting(schema, new.suggestion)
            routed.source_key = f"{FEEDBACK}:{new.origin}:{new.ref}"
            routed.suggestion_label = label
            routed.suggestion_confidence = new.confidence if label is not None else None
            routed.suggestion_agent = f"{FEEDBACK}:{new.origin}" if label is not None else None
            routed.suggestion_model = new.model if label is not None else None
            upgraded.append(routed)
    session.flush()
    if upgraded:
        audit(session, by, "items.upgrade", ("items", "feedback"), items=[i.id for i in upgraded])
    return upgraded


def _answered(session: Session, item: Item) -> bool:
    return session.scalar(select(Annotation.id).where(Annotation.item_id == item.id).limit(1)) is not None
