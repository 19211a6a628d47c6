"""The order open items are served in (`assist.queue`), as a sort key that both engines evaluate.

- `sequential`: by item id, the import order (the default; how items were always served).
- `random`: by a multiplicative hash of the id (Knuth's 2654435761 modulo the prime 4294967291),
  a fixed shuffle that needs no stored state and is the same on SQLite and PostgreSQL.
- `uncertainty`: by `Item.queue_rank`, which `tuneloop assist suggest` sets from the suggestions'
  margins with a diversity term (assist/queue.py: `uncertainty_order`); items without a rank come
  after the ranked ones, by id.

The key is used inside `claim_next`'s query, so the claim's locking (`FOR UPDATE SKIP LOCKED`) and
its guarantees are the same whatever the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, func, literal
from sqlalchemy.orm import Session

from tuneloop.annotate.store.errors import StoreError
from tuneloop.annotate.store.models import MAX_ID, Item, LabelSchema, User
from tuneloop.annotate.store.repository import audit
from tuneloop.annotate.store.suggestions import open_items

QUEUES = ("sequential", "random", "uncertainty")
_MULTIPLIER, _MODULUS = 2654435761, 4294967291


def serving_order(queue: str) -> list[Any]:
    """The ORDER BY terms of `queue`; ties always fall back to the item id."""
    if queue == "sequential":
        return [Item.id]
    if queue == "random":
        return [(Item.id * literal(_MULTIPLIER, BigInteger)) % literal(_MODULUS, BigInteger), Item.id]
    if queue == "uncertainty":
        return [func.coalesce(Item.queue_rank, MAX_ID), Item.id]
    raise StoreError(f"queue {queue!r} is not one of {', '.join(QUEUES)}")


def set_queue_order(
    session: Session, schema: LabelSchema, ordered: Sequence[int], by: User | None = None
) -> int:
    """Rank the schema's open items in the `ordered` ids' order (an open item not named loses its
    rank); returns how many were ranked."""
    rank = {item_id: position for position, item_id in enumerate(ordered)}
    ranked = 0
    for item in open_items(session, schema):
        item.queue_rank = rank.get(item.id)
        ranked += item.queue_rank is not None
    audit(session, by, "items.queue_order", ("items", schema.name), ranked=ranked)
    return ranked
