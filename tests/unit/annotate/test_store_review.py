"""The expert's side of the store on both engines: review, corrections, disagreements, adjudication."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from tests.unit.annotate.conftest import World
from tuneloop.annotate.store import (
    NotAllowed,
    StoreError,
    WrongState,
    add_user,
    adjudicate,
    claim_next,
    disagreements,
    export_records,
    items_needing_review,
    publish_guidelines,
    review,
    submit,
)
from tuneloop.annotate.store.models import Adjudication, Annotation, Item, Review, User
from tuneloop.annotate.store.repository import audit_log, current_annotations, get, history


def answer(world: World, user: User, label: str) -> int:
    with world.store.begin() as s:
        item = claim_next(s, user)
        assert item is not None, f"{user.name} got no item"
        submit(s, user, item, label)
        return item.id


def test_agreed_items_go_to_review_and_disputed_ones_to_adjudication(world: World) -> None:
    a, b, _ = world.annotators
    agreed = answer(world, a, "card_lost")
    answer(world, b, "card_lost")
    disputed = answer(world, a, "card_lost")
    answer(world, b, "exchange_rate")
    with world.store.begin() as s:
        assert [i.id for i in items_needing_review(s, world.reviewer)] == [agreed]
        assert [i.id for i in disagreements(s)] == [disputed]


def test_a_correction_is_a_new_row_and_the_old_one_stays(world: World) -> None:
    a, b, _ = world.annotators
    item_id = answer(world, a, "card_lost")
    answer(world, b, "card_lost")
    with world.store.begin() as s:
        first, second = current_annotations(s, get(s, Item, item_id))
        review(s, world.reviewer, first, "accept")
        fix = review(
            s, world.reviewer, second, "correct", label="card_arrival", reason="asks when it arrives"
        )
    with world.store.begin() as s:
        rows = history(s, get(s, Item, item_id))
        assert [(r.label, r.author_id, r.annotator_id) for r in rows] == [
            ("card_lost", a.id, a.id),
            ("card_lost", b.id, b.id),
            ("card_arrival", world.reviewer.id, b.id),
        ]
        assert rows[2].supersedes_id == rows[1].id and fix.correction_id == rows[2].id
        assert get(s, Review, fix.id).reason == "asks when it arrives"
        assert [r.label for r in current_annotations(s, get(s, Item, item_id))] == [
            "card_lost",
            "card_arrival",
        ]
        # the correction disputes the item; the superseded answer can no longer be reviewed
        assert [i.id for i in disagreements(s)] == [item_id]
        with pytest.raises(WrongState, match="superseded"):
            review(s, world.reviewer, rows[1], "accept")
        # agreement reads the annotators' own answers unless asked for the corrected ones
        assert [r.label for r in export_records(s)] == ["card_lost", "card_lost"]
        assert [r.label for r in export_records(s, corrected=True)] == ["card_lost", "card_arrival"]


def test_reviews_need_a_reason_a_change_and_a_closed_item(world: World) -> None:
    a, b, _ = world.annotators
    item_id = answer(world, a, "card_lost")
    with world.store.begin() as s:
        (open_answer,) = current_annotations(s, get(s, Item, item_id))
        with pytest.raises(WrongState, match="still open"):
            review(s, world.reviewer, open_answer, "accept")
    answer(world, b, "card_lost")
    with world.store.begin() as s:
        with pytest.raises(StoreError, match="needs a reason"):
            review(s, world.reviewer, open_answer, "correct", label="card_arrival")
        with pytest.raises(StoreError, match="same label"):
            review(s, world.reviewer, open_answer, "correct", label="card_lost", reason="typo")


def test_reviewers_and_adjudicators_are_never_the_items_annotators(world: World) -> None:
    a, _, _ = world.annotators
    with world.store.begin() as s:
        expert = add_user(s, "eve", "reviewer")
    item_id = answer(world, a, "card_lost")
    assert answer(world, expert, "card_arrival") == item_id  # a reviewer may annotate ...
    with world.store.begin() as s:
        item = get(s, Item, item_id)
        assert items_needing_review(s, expert) == []
        assert disagreements(s, expert) == [] and [i.id for i in disagreements(s)] == [item_id]
        first = current_annotations(s, item)[0]
        with pytest.raises(NotAllowed, match=r"eve annotated item .* cannot review"):
            review(s, expert, first, "accept")  # ... but then not review that item
        with pytest.raises(NotAllowed, match=r"eve annotated item .* cannot adjudicate"):
            adjudicate(s, expert, item, "card_lost")


def test_role_checks(world: World) -> None:
    a, b, c = world.annotators
    item_id = answer(world, a, "card_lost")
    answer(world, b, "exchange_rate")
    with world.store.begin() as s:
        item = get(s, Item, item_id)
        with pytest.raises(NotAllowed, match="only reviewer or admin may adjudicate"):
            adjudicate(s, c, item, "card_lost")
        with pytest.raises(NotAllowed, match="only reviewer or admin may review"):
            review(s, c, current_annotations(s, item)[0], "accept")
        with pytest.raises(NotAllowed, match="only admin may publish guidelines"):
            publish_guidelines(s, "new rules", by=world.reviewer)


def test_adjudication_records_who_when_guidelines_and_what_it_overrode(world: World) -> None:
    a, b, _ = world.annotators
    item_id = answer(world, a, "card_lost")
    answer(world, b, "exchange_rate")
    with world.store.begin() as s:
        v2 = publish_guidelines(s, "# Banking intents\nA lost card is card_lost.", by=world.admin)
    with world.store.begin() as s:
        decision = adjudicate(s, world.reviewer, get(s, Item, item_id), "card_lost", note="rule 2 applies")
    with world.store.begin() as s:
        stored = get(s, Adjudication, decision.id)
        overridden = [(x.annotator_id, x.label) for x in stored.overridden]
        assert (stored.adjudicator_id, stored.label, stored.note) == (
            world.reviewer.id,
            "card_lost",
            "rule 2 applies",
        )
        assert stored.guideline_version.version == v2.version == 2 and stored.created_at is not None
        assert overridden == [(b.id, "exchange_rate")]
        assert disagreements(s) == []
        entry = audit_log(s, "adjudications")[-1]
        assert (entry.action, entry.actor_id, entry.object_id) == (
            "adjudication.add",
            world.reviewer.id,
            str(decision.id),
        )
        assert entry.detail["overridden"] == [stored.overridden[0].id]
        # annotations keep the guideline version they were made under
        versions = {x.guideline_version.version for x in s.query(Annotation).filter_by(item_id=item_id)}
        assert versions == {1}
        with pytest.raises(WrongState, match="already adjudicated"):
            adjudicate(s, world.admin, get(s, Item, item_id), "exchange_rate")


def test_an_agreed_item_cannot_be_adjudicated(world: World) -> None:
    a, b, _ = world.annotators
    item_id = answer(world, a, "card_lost")
    answer(world, b, "card_lost")
    with world.store.begin() as s, pytest.raises(WrongState, match="not in dispute"):
        adjudicate(s, world.admin, get(s, Item, item_id), "card_arrival")


def _at_once(count: int, act: Callable[[], object]) -> list[str]:
    """Run `act` in `count` threads released together; what each one ended with."""
    barrier, outcomes, lock = threading.Barrier(count), [], threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            act()
            outcome = "ok"
        except Exception as exc:  # what a route would see
            outcome = type(exc).__name__
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_the_same_review_or_adjudication_sent_five_times_at_once_is_recorded_once(world: World) -> None:
    a, b, _ = world.annotators
    agreed = answer(world, a, "card_lost")
    answer(world, b, "card_lost")
    disputed = answer(world, a, "card_lost")
    answer(world, b, "card_arrival")
    with world.store.begin() as s:
        target = current_annotations(s, get(s, Item, agreed))[0].id

    def accept() -> None:
        with world.store.begin() as s:
            review(s, get(s, User, world.reviewer.id), get(s, Annotation, target), "accept")

    def decide() -> None:
        with world.store.begin() as s:
            adjudicate(s, get(s, User, world.reviewer.id), get(s, Item, disputed), "card_lost")

    assert _at_once(5, accept) == ["WrongState"] * 4 + ["ok"]
    assert _at_once(5, decide) == ["WrongState"] * 4 + ["ok"]
    with world.store.begin() as s:
        assert len(s.scalars(select(Review)).all()) == 1 and len(s.scalars(select(Adjudication)).all()) == 1
