"""The store rules the web app relies on, on both engines: passwords and sessions (the login
limits are in test_store_accounts.py), idempotent submit and undo, model suggestions, which items a
user may open, the day's progress."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.unit.annotate.conftest import World, make_world
from tuneloop.annotate.store import (
    NotAllowed,
    NotFound,
    Store,
    StoreError,
    WrongState,
    claim_next,
    skip,
    submit,
    undo_last,
)
from tuneloop.annotate.store.accounts import (
    authenticate,
    close_session,
    open_session,
    session_user,
    set_password,
)
from tuneloop.annotate.store.assign import undoable
from tuneloop.annotate.store.errors import InvalidLabel, LoginRefused
from tuneloop.annotate.store.items import set_suggestions
from tuneloop.annotate.store.models import Annotation, Item, LoginAttempt, User, WebSession, utcnow
from tuneloop.annotate.store.progress import SkipNote, day_progress, recent_skips
from tuneloop.annotate.store.repository import get
from tuneloop.annotate.store.review import unreviewed_answers
from tuneloop.annotate.store.suggestions import suggestion_for
from tuneloop.annotate.store.visibility import item_for

PASSWORD = "long enough secret"


def _with_password(world: World, user: User) -> None:
    with world.store.begin() as s:
        set_password(s, get(s, User, user.id), PASSWORD, by=world.admin)


def test_a_password_is_hashed_and_checked(world: World) -> None:
    ann = world.annotators[0]
    _with_password(world, ann)
    assert authenticate(world.store, ann.name, PASSWORD, "10.0.0.1").id == ann.id
    with pytest.raises(LoginRefused):
        authenticate(world.store, ann.name, "wrong password", "10.0.0.1")
    with pytest.raises(LoginRefused):  # no password set: no login at all
        authenticate(world.store, world.annotators[1].name, "", "10.0.0.1")
    with world.store.begin() as s:
        assert s.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.succeeded.is_(False))) == 2
        with pytest.raises(StoreError, match="at least 12"):
            set_password(s, get(s, User, ann.id), "short", by=world.admin)
        with pytest.raises(NotAllowed):  # an annotator cannot set someone else's password
            set_password(s, get(s, User, world.annotators[1].id), PASSWORD, by=get(s, User, ann.id))


def test_sessions_open_resolve_expire_and_close(world: World) -> None:
    ann = world.annotators[0]
    with world.store.begin() as s:
        token = open_session(s, get(s, User, ann.id))
        other = open_session(s, get(s, User, ann.id))
    assert token != other
    with world.store.begin() as s:
        assert session_user(s, token).id == ann.id  # type: ignore[union-attr]
        assert session_user(s, "made-up") is None
        assert s.scalar(select(WebSession.token_sha256)) not in (token, other)  # only hashes stored
        close_session(s, token)
    with world.store.begin() as s:
        assert session_user(s, token) is None and session_user(s, other) is not None
        for row in s.scalars(select(WebSession)):
            row.expires_at = utcnow() - timedelta(seconds=1)
    with world.store.begin() as s:
        assert session_user(s, other) is None


def test_a_retried_submission_is_recorded_once(world: World) -> None:
    ann = world.annotators[0]
    with world.store.begin() as s:
        item = claim_next(s, ann)
        assert item is not None
        first = submit(s, ann, item, "card_arrival", request_id="req-1")
    with world.store.begin() as s:
        again = submit(s, ann, get(s, type(item), item.id), "card_arrival", request_id="req-1")
        assert again.id == first.id
        assert s.scalar(select(func.count(Annotation.id))) == 1
        with pytest.raises(WrongState):  # without the id it is a second answer, refused
            submit(s, ann, get(s, type(item), item.id), "card_arrival")
    other = world.annotators[1]
    with world.store.begin() as s:
        theirs = claim_next(s, other)
        assert theirs is not None
        with pytest.raises(NotAllowed):
            submit(s, other, theirs, "card_arrival", request_id="req-1")


def test_undo_of_a_named_answer_is_idempotent_and_never_undoes_another(world: World) -> None:
    ann = world.annotators[0]
    with world.store.begin() as s:
        item = claim_next(s, ann)
        assert item is not None
        answer = submit(s, ann, item, "card_arrival")
        assert undoable(s, ann).id == answer.id  # type: ignore[union-attr]
    with world.store.begin() as s:
        retraction = undo_last(s, ann, answer.id)
    with world.store.begin() as s:
        assert undo_last(s, ann, answer.id).id == retraction.id
        assert undoable(s, ann) is None
        newer = submit(s, ann, get(s, type(item), item.id), "card_lost")
    with world.store.begin() as s:
        assert undo_last(s, ann, answer.id).id == retraction.id  # an old undo replayed: no effect
        assert undoable(s, ann).id == newer.id  # type: ignore[union-attr]
        with pytest.raises(NotAllowed):
            undo_last(s, world.annotators[1], newer.id)


def test_suggestions_are_stored_checked_and_recorded_when_shown(world: World) -> None:
    first, second = world.items[0], world.items[1]
    with world.store.begin() as s:
        assert set_suggestions(s, {first.id: ("card_lost", 0.9)}, by=world.admin) == 1
        with pytest.raises(InvalidLabel):
            set_suggestions(s, {second.id: ("not_a_label", 0.5)})
    with world.store.begin() as s, pytest.raises(StoreError, match=r"within 0\.\.1"):
        set_suggestions(s, {second.id: ("card_lost", 1.5)})
    ann = world.annotators[0]
    with world.store.begin() as s:
        item = get(s, type(first), first.id)
        assert suggestion_for(s, item, True) == ("card_lost", 0.9) and suggestion_for(s, item, False) is None
        claim_next(s, ann)
        shown = submit(s, ann, item, "card_arrival", suggestions=True)
        claim_next(s, world.annotators[1])
        hidden = submit(s, world.annotators[1], item, "card_arrival", suggestions=False)
        assert shown.suggestion_shown and not hidden.suggestion_shown
        assert shown.suggestion_label == hidden.suggestion_label == "card_lost"  # kept, shown or not


def test_a_user_opens_only_items_they_have_a_part_in(world: World) -> None:
    ann, bob, rev = world.annotators[0], world.annotators[1], world.reviewer
    with world.store.begin() as s:
        item = claim_next(s, ann)
        assert item is not None
        assert item_for(s, ann, item.id).id == item.id
        assert item_for(s, world.admin, world.items[2].id).id == world.items[2].id
        for user, ident in ((bob, item.id), (ann, world.items[2].id), (rev, item.id), (ann, 10_000)):
            with pytest.raises(NotFound):
                item_for(s, user, ident)
        submit(s, ann, item, "card_arrival")
        claim_next(s, bob)
        submit(s, bob, get(s, type(item), item.id), "card_arrival")
    with world.store.begin() as s:  # closed: the reviewer may open it to review
        assert item_for(s, rev, item.id).id == item.id
        assert len(unreviewed_answers(s, get(s, type(item), item.id))) == 2


def test_day_progress_counts_today_and_what_remains(world: World) -> None:
    ann = world.annotators[0]
    with world.store.begin() as s:
        assert (day_progress(s, ann).today, day_progress(s, ann).remaining) == (0, 3)
        item = claim_next(s, ann)
        assert day_progress(s, ann).remaining == 3  # the open claim still counts
        submit(s, ann, item, "card_arrival")  # type: ignore[arg-type]
        assert (day_progress(s, ann).today, day_progress(s, ann).remaining) == (1, 2)
        skip(s, ann, claim_next(s, ann), "  not about banking ")  # type: ignore[arg-type]
        assert recent_skips(s) == [SkipNote(ann.name, world.items[1].id, "not about banking")]


def test_concurrent_claims_never_answer_nothing_left_while_items_are_open(store: Store) -> None:
    """Many annotators claiming at once all get an item while free slots remain: a claim whose
    candidate list filled up under it (PostgreSQL's snapshot was older than the competing claims)
    looks again instead of answering "nothing left"."""
    world = make_world(store, items=400, annotators=30)
    barrier = threading.Barrier(len(world.annotators))
    results: list[int | None] = []

    def annotate(person: User) -> None:
        barrier.wait()
        for _ in range(10):
            with world.store.begin() as s:
                item = claim_next(s, get(s, User, person.id))
                results.append(None if item is None else item.id)
            if item is not None:
                with world.store.begin() as s:
                    submit(s, get(s, User, person.id), get(s, Item, item.id), "card_arrival")

    threads = [threading.Thread(target=annotate, args=(p,)) for p in world.annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 300 and None not in results  # 300 answers needed, 800 slots open
