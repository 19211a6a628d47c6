"""The annotator's side of the store on both engines: claims, overlap, skips, undo, blinding, closing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.unit.annotate.conftest import World, make_world
from tuneloop.annotate.store import (
    InvalidLabel,
    NotAllowed,
    Store,
    WrongState,
    annotations_visible_to,
    claim_next,
    export_records,
    progress,
    skip,
    submit,
    undo_last,
)
from tuneloop.annotate.store.models import Annotation, Assignment, AuditEntry, Item, User
from tuneloop.annotate.store.repository import current_annotations, get


def claim(world: World, user: User, **kwargs: bool) -> int | None:
    """The id of the item `claim_next` gives `user` (ids: rows from two sessions are not equal)."""
    with world.store.begin() as s:
        item = claim_next(s, user, **kwargs)
        return item.id if item is not None else None


def answer(world: World, user: User, label: str) -> Item:
    """Claim the next item for `user` and submit `label` for it."""
    with world.store.begin() as s:
        item = claim_next(s, user)
        assert item is not None, f"{user.name} got no item"
        submit(s, user, item, label)
    return item


def test_an_item_goes_to_k_different_annotators_then_closes(world: World) -> None:
    a, b, c = world.annotators
    first = answer(world, a, "card_lost")
    assert claim(world, a) != first.id  # never the same item twice
    with world.store.begin() as s:
        skip(s, a, get(s, Item, world.items[1].id), "unclear")
    assert answer(world, b, "card_lost").id == first.id  # the oldest item with a free slot
    with world.store.begin() as s:
        closed = get(s, Item, first.id)
        assert closed.closed_at is not None
        assert [x.label for x in current_annotations(s, closed)] == ["card_lost", "card_lost"]
    # c never gets the closed item, even though it never saw it
    assert claim(world, c) == world.items[1].id


def test_a_skip_frees_the_slot_for_someone_else_but_not_for_the_skipper(store: Store) -> None:
    world = make_world(store, items=1)
    a, b, c = world.annotators
    only = world.items[0]
    assert claim(world, a) == only.id and claim(world, b) == only.id
    assert claim(world, c) is None  # both slots taken
    with store.begin() as s:
        skip(s, a, only, "not my language")
    assert claim(world, c) == only.id
    assert claim(world, a) is None
    with store.begin() as s:
        reason = s.scalar(select(Assignment.skip_reason).where(Assignment.user_id == a.id))
    assert reason == "not my language"


def test_a_pending_claim_comes_back_until_answered(world: World) -> None:
    a = world.annotators[0]
    first = claim(world, a)
    assert first is not None and claim(world, a) == first
    with world.store.begin() as s:
        submit(s, a, get(s, Item, first), "card_arrival")
    assert claim(world, a) not in (first, None)


def test_submit_refuses_unclaimed_items_repeated_answers_and_unknown_labels(world: World) -> None:
    a, b, _ = world.annotators
    claimed = claim(world, a)
    assert claimed is not None
    item = world.items[claimed - 1]
    with pytest.raises(NotAllowed, match="has not claimed"), world.store.begin() as s:
        submit(s, b, item, "card_lost")
    with pytest.raises(InvalidLabel, match="not one of"), world.store.begin() as s:
        submit(s, a, item, "refund")
    with world.store.begin() as s:
        submit(s, a, item, "card_lost")
    with pytest.raises(WrongState, match="already answered"), world.store.begin() as s:
        submit(s, a, item, "card_arrival")


def test_admins_do_not_annotate(world: World) -> None:
    with pytest.raises(NotAllowed, match="only annotator or reviewer may annotate"), world.store.begin() as s:
        claim_next(s, world.admin)


def test_blinding_hides_other_answers_until_the_item_closes(world: World) -> None:
    a, b, c = world.annotators
    item = answer(world, a, "card_lost")
    assert claim(world, b) == item.id
    with world.store.begin() as s:
        assert [x.label for x in annotations_visible_to(s, b, item)] == []
        assert [x.label for x in annotations_visible_to(s, c, item)] == []
        assert [x.label for x in annotations_visible_to(s, a, item)] == ["card_lost"]
        assert [x.label for x in annotations_visible_to(s, world.admin, item)] == ["card_lost"]
        submit(s, b, item, "card_arrival")
    with world.store.begin() as s:
        item = get(s, Item, item.id)
        assert sorted(x.label for x in annotations_visible_to(s, a, item)) == ["card_arrival", "card_lost"]


def test_undo_keeps_the_history_and_only_works_while_the_item_is_open(world: World) -> None:
    a, b, _ = world.annotators
    item = answer(world, a, "card_lost")
    with world.store.begin() as s:
        undo_last(s, a)
    assert claim(world, a) == item.id  # the claim is open again
    with world.store.begin() as s:
        submit(s, a, item, "exchange_rate")
    with world.store.begin() as s:
        rows = s.scalars(
            select(Annotation).where(Annotation.item_id == item.id).order_by(Annotation.id)
        ).all()
        assert [(r.label, r.retracted) for r in rows] == [
            ("card_lost", False),
            (None, True),
            ("exchange_rate", False),
        ]
        assert [r.supersedes_id for r in rows] == [None, rows[0].id, rows[1].id]
    answer(world, b, "exchange_rate")  # closes the item
    with pytest.raises(WrongState, match="closed"), world.store.begin() as s:
        undo_last(s, b)
    with pytest.raises(WrongState, match="no submission"), world.store.begin() as s:
        undo_last(s, world.annotators[2])


def test_progress_and_export_records(world: World) -> None:
    a, b, _ = world.annotators
    item = answer(world, a, "card_lost")
    answer(world, b, "card_arrival")
    claim(world, a)
    with world.store.begin() as s:
        lines = {p.user: (p.claimed, p.submitted, p.skipped) for p in progress(s)}
        records = export_records(s)
    assert lines == {"ann0": (1, 1, 0), "ann1": (0, 1, 0)}
    assert [(r.item, r.external_id, r.annotator, r.label, r.guideline_version) for r in records] == [
        (item.id, "ex0", "ann0", "card_lost", 1),
        (item.id, "ex0", "ann1", "card_arrival", 1),
    ]


def test_claims_route_by_domain_skill(store: Store) -> None:
    from tuneloop.annotate.store import add_user, import_model_outputs
    from tuneloop.annotate.store.items import ModelOutput

    world = make_world(store, items=0)
    with store.begin() as s:
        legal = add_user(s, "lena", "annotator", skills=["legal"])
        outputs = [
            ModelOutput(id="m1", text="a contract", model="tiny", run="r", phase="p", domain="medical"),
            ModelOutput(id="l1", text="a contract", model="tiny", run="r", phase="p", domain="legal"),
        ]
        medical, legal_item = import_model_outputs(s, outputs, world.schema)
    assert claim(world, legal, route_by_skill=True) == legal_item.id
    assert claim(world, world.annotators[0], route_by_skill=True) is None  # no skills: no tagged items
    assert claim(world, world.annotators[0]) == medical.id  # without routing, anyone gets anything


def test_every_change_is_in_the_audit_log(world: World) -> None:
    a, b, _ = world.annotators
    item = answer(world, a, "card_lost")
    with world.store.begin() as s:
        undo_last(s, a)
    with world.store.begin() as s:
        submit(s, a, item, "card_lost")
    answer(world, b, "card_lost")
    with world.store.begin() as s:
        log = [
            (e.action, e.actor_id, e.object_type)
            for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert log[:2] == [("user.add", None, "users"), ("user.add", world.admin.id, "users")]
    assert ("guidelines.publish", world.admin.id, "guideline_versions") in log
    assert ("items.import", world.admin.id, "items") in log
    assert log[-7:] == [
        ("item.claim", a.id, "assignments"),
        ("annotation.submit", a.id, "annotations"),
        ("annotation.undo", a.id, "annotations"),
        ("annotation.submit", a.id, "annotations"),
        ("item.claim", b.id, "assignments"),
        ("annotation.submit", b.id, "annotations"),
        ("item.close", None, "items"),
    ]
