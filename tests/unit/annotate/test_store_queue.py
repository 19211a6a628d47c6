"""`next item` follows `assist.queue`, on SQLite and PostgreSQL: sequential (import order), random
(a fixed shuffle), uncertainty (the ranks `assist suggest` stores, unranked items last)."""

from __future__ import annotations

import pytest

from tests.unit.annotate.conftest import World, make_world
from tuneloop.annotate.store import Store, claim_next, submit
from tuneloop.annotate.store.errors import StoreError
from tuneloop.annotate.store.models import User
from tuneloop.annotate.store.queue import serving_order, set_queue_order


def _served(world: World, queue: str, user: User) -> list[int]:
    """The items `user` is served one after another, answering each."""
    order = []
    with world.store.begin() as s:
        while (item := claim_next(s, user, queue=queue)) is not None:
            order.append(item.id)
            submit(s, user, item, "card_lost")
    return order


@pytest.fixture
def many(store: Store) -> World:
    return make_world(store, items=8)


def test_sequential_and_random_orders(many: World) -> None:
    ids = [item.id for item in many.items]
    assert _served(many, "sequential", many.annotators[0]) == ids
    shuffled = _served(many, "random", many.annotators[1])
    assert sorted(shuffled) == ids and shuffled != ids
    again = sorted(ids, key=lambda i: ((i * 2654435761) % 4294967291, i))
    assert shuffled == again  # the same fixed shuffle on every engine


def test_uncertainty_follows_the_stored_ranks_then_ids(many: World) -> None:
    ids = [item.id for item in many.items]
    ranked = [ids[5], ids[2], ids[7]]
    with many.store.begin() as s:
        assert set_queue_order(s, many.schema, ranked, by=many.admin) == 3
    rest = [i for i in ids if i not in ranked]
    assert _served(many, "uncertainty", many.annotators[0]) == ranked + rest
    assert _served(many, "sequential", many.annotators[1]) == ids  # the ranks change nothing else


def test_an_unknown_queue_is_refused() -> None:
    with pytest.raises(StoreError, match="not one of sequential, random, uncertainty"):
        serving_order("newest")
