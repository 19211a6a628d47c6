"""Accounts on both engines: login limits that hold under parallel guesses and cannot lock an
owner out, the password policy, the user-name rules, and revoking a person."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.unit.annotate.conftest import World
from tuneloop.annotate.store import StoreError, WrongState, add_user
from tuneloop.annotate.store import accounts as accounts_module
from tuneloop.annotate.store.accounts import (
    MAX_FAILURES_PER_NAME,
    MAX_FAILURES_PER_PAIR,
    authenticate,
    disable_user,
    open_session,
    session_user,
    set_password,
)
from tuneloop.annotate.store.errors import LoginRefused, TooManyAttempts
from tuneloop.annotate.store.models import LoginAttempt, User, WebSession, utcnow
from tuneloop.annotate.store.repository import get

PASSWORD = "long enough secret"


def _with_password(world: World, user: User) -> None:
    with world.store.begin() as s:
        set_password(s, get(s, User, user.id), PASSWORD, by=world.admin)


def test_parallel_guesses_are_counted_before_the_password_is_checked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 simultaneous guesses for one account from one address: only the first few reach argon2."""
    ann = world.annotators[0]
    _with_password(world, ann)
    checked, lock = [], threading.Lock()
    verify = accounts_module._verify

    def counting(stored: str, password: str) -> bool:
        with lock:
            checked.append(password)
        return verify(stored, password)

    monkeypatch.setattr(accounts_module, "_verify", counting)
    barrier = threading.Barrier(40)
    outcomes: list[str] = []

    def guess(n: int) -> None:
        barrier.wait()
        try:
            authenticate(world.store, ann.name, f"wrong guess {n}", "10.0.0.1")
        except (LoginRefused, TooManyAttempts) as exc:
            with lock:
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == MAX_FAILURES_PER_PAIR
    assert outcomes.count("TooManyAttempts") == 40 - MAX_FAILURES_PER_PAIR


def test_one_address_cannot_lock_an_owner_out_and_many_only_slow_them_down(world: World) -> None:
    ann = world.annotators[0]
    _with_password(world, ann)
    assert authenticate(world.store, ann.name, PASSWORD, "10.0.0.7").id == ann.id  # the owner's address
    with world.store.begin() as s:  # ... yesterday
        s.scalars(select(LoginAttempt)).one().at = utcnow() - timedelta(days=1)
    for _ in range(MAX_FAILURES_PER_PAIR):
        with pytest.raises(LoginRefused):
            authenticate(world.store, ann.name, "wrong password", "10.0.0.1")
    with pytest.raises(TooManyAttempts, match="from this address"):
        authenticate(world.store, ann.name, PASSWORD, "10.0.0.1")  # that address waits
    attackers = [f"10.0.1.{n}" for n in range(MAX_FAILURES_PER_NAME // MAX_FAILURES_PER_PAIR)]
    for address in attackers[1:]:
        for _ in range(MAX_FAILURES_PER_PAIR):
            with pytest.raises(LoginRefused):
                authenticate(world.store, ann.name, "wrong password", address)
    with pytest.raises(TooManyAttempts, match="is locked"):  # the account, for a new address
        authenticate(world.store, ann.name, PASSWORD, "10.0.0.9")
    assert authenticate(world.store, ann.name, PASSWORD, "10.0.0.7").id == ann.id  # slowed, not stopped
    with pytest.raises(TooManyAttempts, match="one try per"):
        authenticate(world.store, ann.name, PASSWORD, "10.0.0.7")
    with world.store.begin() as s:  # the window passes
        for row in s.scalars(select(LoginAttempt)):
            row.at = utcnow() - timedelta(hours=1)
    assert authenticate(world.store, ann.name, PASSWORD, "10.0.0.9").id == ann.id


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("password", "at least 12"),
        ("12345678", "at least 12"),
        (" " * 8, "at least 12"),
        (" " * 14, "different characters"),
        ("qwertyqwerty", "most common"),
        ("1QAZ2WSX3EDC", "most common"),
        ("ann0ann0ann0", "different characters"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(world: World, password: str, why: str) -> None:
    with world.store.begin() as s, pytest.raises(StoreError, match=why):
        set_password(s, get(s, User, world.annotators[0].id), password, by=world.admin)


def test_a_new_password_or_disabling_ends_the_users_sessions(world: World) -> None:
    ann, bob = world.annotators[0], world.annotators[1]
    _with_password(world, ann)
    _with_password(world, bob)
    with world.store.begin() as s:
        tokens = [open_session(s, get(s, User, ann.id)) for _ in range(2)]
        theirs = open_session(s, get(s, User, bob.id))
    with world.store.begin() as s:
        set_password(s, get(s, User, ann.id), "another long secret", by=world.admin)
    with world.store.begin() as s:
        assert all(session_user(s, token) is None for token in tokens)
        assert session_user(s, theirs) is not None  # only that user's sessions end
        disable_user(s, get(s, User, bob.id), by=world.admin)
    with world.store.begin() as s:
        assert session_user(s, theirs) is None and s.scalar(select(WebSession.token_sha256)) is None
        with pytest.raises(WrongState, match="disabled already"):
            disable_user(s, get(s, User, bob.id), by=world.admin)
    with pytest.raises(LoginRefused):  # the right password no longer signs them in
        authenticate(world.store, bob.name, PASSWORD, "10.0.0.1")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("\u0430dmin1", "mixes scripts"),  # a Cyrillic first letter
        ("nimda\u202e", "RIGHT-TO-LEFT OVERRIDE"),
        ("ann\nadmin", "control"),
        ("ann\u200b", "ZERO WIDTH SPACE"),
        ("x" * 101, "at most 100"),
        ("   ", "non-empty"),
    ],
)
def test_user_names_that_mislead_or_cannot_sign_in_are_refused(world: World, name: str, why: str) -> None:
    with world.store.begin() as s, pytest.raises(StoreError, match=why):
        add_user(s, name, "admin", by=world.admin)


def test_user_names_are_stored_in_one_normal_form(world: World) -> None:
    with world.store.begin() as s:
        user = add_user(s, "\uff41\uff4e\uff4e\uff41", "annotator", by=world.admin)  # full-width "anna"
        assert user.name == "anna"
        assert add_user(s, "山田たろう", "annotator", by=world.admin).name == "山田たろう"
        with pytest.raises(StoreError, match="exists already"):
            add_user(s, "anna", "annotator", by=world.admin)
