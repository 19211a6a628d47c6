"""Claiming one given item (what imports from other tools need) keeps the rules of `claim_next`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.unit.annotate.conftest import World
from tuneloop.annotate.store import (
    ExternalItem,
    NotAllowed,
    WrongState,
    claim,
    import_external_items,
    skip,
    submit,
)
from tuneloop.annotate.store.models import Assignment, Item
from tuneloop.annotate.store.repository import get


def test_a_given_item_takes_k_claims_never_the_same_user_twice_and_no_admin(world: World) -> None:
    a, b, c = world.annotators
    with world.store.begin() as s:
        item = get(s, Item, world.items[2].id)
        claim(s, a, item)
        claim(s, b, item)
        with pytest.raises(WrongState, match="all its 2 slots taken"):
            claim(s, c, item)
        with pytest.raises(NotAllowed, match="already had item"):
            claim(s, a, item)
        with pytest.raises(NotAllowed, match="may annotate"):
            claim(s, world.admin, item)
        skip(s, a, item, "unclear")
        claim(s, c, item)  # the skipped slot is free again
        submit(s, b, item, "card_lost")
        submit(s, c, item, "card_lost")
        with pytest.raises(WrongState, match="closed"):
            claim(s, world.reviewer, item)
        slots = sorted(s.scalars(select(Assignment.slot).where(Assignment.item_id == item.id)), key=str)
        assert slots == [0, 1, None]


def test_external_items_keep_their_own_k_and_come_once(world: World) -> None:
    with world.store.begin() as s:
        rows = [ExternalItem("label-studio:1", "a", 3), ExternalItem("label-studio:2", "b")]
        added = import_external_items(s, rows, world.schema)
        assert [(i.external_id, i.source_key, i.overlap, i.source_kind) for i in added] == [
            ("label-studio:1", "label-studio:1", 3, "dataset"),
            ("label-studio:2", "label-studio:2", 2, "dataset"),
        ]
        assert import_external_items(s, rows, world.schema) == []
