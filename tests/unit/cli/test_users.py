"""`tuneloop users add` asks for a password (hidden, twice) or reads it from stdin; `users password`
changes it. Only argon2 hashes end up in the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tuneloop.annotate.project import project_store
from tuneloop.annotate.store.accounts import authenticate
from tuneloop.annotate.store.models import User
from tuneloop.cli import app
from tuneloop.spec import load_spec

runner = CliRunner()


def _hash(project: Path, name: str) -> str | None:
    with project_store(load_spec(project)).begin() as session:
        return session.scalar(select(User.password_hash).where(User.name == name))


def test_users_add_prompts_twice_and_stores_a_hash(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=20)
    added = runner.invoke(
        app,
        ["users", "add", "alice", "--project", str(project)],
        input="s3cret-passphrase\ns3cret-passphrase\n",
    )
    assert added.exit_code == 0, added.output
    assert "s3cret-passphrase" not in added.output  # hidden input is not echoed
    stored = _hash(project, "alice")
    assert stored is not None and stored.startswith("$argon2id$")
    store = project_store(load_spec(project))
    assert authenticate(store, "alice", "s3cret-passphrase", "127.0.0.1").name == "alice"


def test_users_add_refuses_a_mismatch_or_a_short_password(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=20)
    mismatch = runner.invoke(
        app,
        ["users", "add", "bob", "--project", str(project)],
        input="first-passphrase\nother-passphrase\nfirst-passphrase\nfirst-passphrase\n",
    )
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output.lower()
    short = runner.invoke(
        app, ["users", "add", "cid", "--project", str(project), "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    assert _hash(project, "cid") is None  # nothing half-made: the user was not added either
    with project_store(load_spec(project)).begin() as session:
        assert session.scalar(select(User.id).where(User.name == "cid")) is None


def test_users_password_replaces_the_hash(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=20)
    runner.invoke(
        app,
        ["users", "add", "dan", "--project", str(project), "--password-stdin"],
        input="the old passphrase\n",
    )
    before = _hash(project, "dan")
    changed = runner.invoke(
        app,
        ["users", "password", "dan", "--project", str(project), "--password-stdin"],
        input="the new passphrase\n",
    )
    assert changed.exit_code == 0, changed.output
    assert _hash(project, "dan") != before
    store = project_store(load_spec(project))
    assert authenticate(store, "dan", "the new passphrase", "127.0.0.1").name == "dan"


def test_users_refuses_common_passwords_and_look_alike_names(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=20)
    common = runner.invoke(
        app, ["users", "add", "eve", "--project", str(project), "--password-stdin"], input="qwerty123456\n"
    )
    assert common.exit_code == 2 and "most common" in common.output
    spoof = runner.invoke(
        app,
        ["users", "add", "\u0430dmin1", "--project", str(project), "--password-stdin"],
        input="a long pass phrase\n",
    )
    assert spoof.exit_code == 2 and "mixes scripts" in spoof.output
    assert _hash(project, "eve") is None


def test_users_disable_ends_sessions_and_refuses_sign_in(make_project: Callable[..., Path]) -> None:
    from tuneloop.annotate.project import find_user
    from tuneloop.annotate.store.accounts import open_session, session_user
    from tuneloop.annotate.store.errors import LoginRefused

    project = make_project(rows=20)
    runner.invoke(
        app,
        ["users", "add", "fay", "--project", str(project), "--password-stdin"],
        input="a long pass phrase\n",
    )
    store = project_store(load_spec(project))
    with store.begin() as session:
        token = open_session(session, find_user(session, "fay"))
    disabled = runner.invoke(app, ["users", "disable", "fay", "--project", str(project)])
    assert disabled.exit_code == 0 and "disabled" in disabled.output, disabled.output
    with store.begin() as session:
        assert session_user(session, token) is None
    with pytest.raises(LoginRefused):
        authenticate(store, "fay", "a long pass phrase", "127.0.0.1")
    again = runner.invoke(app, ["users", "disable", "fay", "--project", str(project)])
    assert again.exit_code == 2 and "disabled already" in again.output
    unknown = runner.invoke(app, ["users", "disable", "nobody", "--project", str(project)])
    assert unknown.exit_code == 2 and "no user 'nobody'" in unknown.output
