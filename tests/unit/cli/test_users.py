"""`tuneloop users add` asks for a password (hidden, twice) or reads it from stdin; `users password`
changes it. Only argon2 hashes end up in the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
        app, ["users", "add", "alice", "--project", str(project)], input="s3cret-pass\ns3cret-pass\n"
    )
    assert added.exit_code == 0, added.output
    assert "s3cret-pass" not in added.output  # hidden input is not echoed
    stored = _hash(project, "alice")
    assert stored is not None and stored.startswith("$argon2id$")
    store = project_store(load_spec(project))
    assert authenticate(store, "alice", "s3cret-pass", "127.0.0.1").name == "alice"


def test_users_add_refuses_a_mismatch_or_a_short_password(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=20)
    mismatch = runner.invoke(
        app,
        ["users", "add", "bob", "--project", str(project)],
        input="first-pass\nother-pass\nfirst-pass\nfirst-pass\n",
    )
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output.lower()
    short = runner.invoke(
        app, ["users", "add", "cid", "--project", str(project), "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 2 and "at least 8 characters" in short.output
    assert _hash(project, "cid") is None  # nothing half-made: the user was not added either
    with project_store(load_spec(project)).begin() as session:
        assert session.scalar(select(User.id).where(User.name == "cid")) is None


def test_users_password_replaces_the_hash(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=20)
    runner.invoke(
        app, ["users", "add", "dan", "--project", str(project), "--password-stdin"], input="old-password\n"
    )
    before = _hash(project, "dan")
    changed = runner.invoke(
        app,
        ["users", "password", "dan", "--project", str(project), "--password-stdin"],
        input="new-password\n",
    )
    assert changed.exit_code == 0, changed.output
    assert _hash(project, "dan") != before
    store = project_store(load_spec(project))
    assert authenticate(store, "dan", "new-password", "127.0.0.1").name == "dan"
