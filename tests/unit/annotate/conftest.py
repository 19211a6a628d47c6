"""Store fixtures: every store test runs on SQLite and on PostgreSQL, each in a fresh database.

PostgreSQL comes from TUNELOOP_TEST_PG_URL, by default the local server `scripts/postgres-up`
starts (`make test` runs it). A test that cannot reach it fails: a skip would let the PostgreSQL
half of the suite go silently missing.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from tuneloop.annotate.store import (
    Store,
    add_label_schema,
    add_user,
    import_model_outputs,
    open_store,
    publish_guidelines,
)
from tuneloop.annotate.store.items import ModelOutput
from tuneloop.annotate.store.models import Item, LabelSchema, User

DEFAULT_PG_URL = "postgresql+psycopg://tuneloop:tuneloop@127.0.0.1:5432/tuneloop"
LABELS = ["card_arrival", "card_lost", "exchange_rate"]


def pg_url() -> str:
    return os.environ.get("TUNELOOP_TEST_PG_URL", DEFAULT_PG_URL)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of the parametrised engine, dropped after the test."""
    with empty_database(request.param, tmp_path / "annotations.db") as url:
        yield url


@pytest.fixture
def other_store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    """A second, empty store on the same engine as `store` (where a round trip lands)."""
    engine = "sqlite" if store_url.startswith("sqlite") else "postgresql"
    with empty_database(engine, tmp_path / "other.db") as url:
        opened = open_store(url)
        yield opened
        opened.close()


@contextmanager
def empty_database(engine: str, sqlite_file: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    server = make_url(pg_url())
    name = f"tuneloop_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL at {server.render_as_string()} is not reachable (run scripts/postgres-up): {exc}"
        )
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin: Engine, name: str, tries: int = 10) -> None:
    """Drop a test database. `WITH (FORCE)` ends the tests' own connections, but PostgreSQL refuses
    to end an autovacuum worker that happens to be in the new database (a role the test role is
    not a member of): wait for it to finish and try again."""
    for attempt in range(tries):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except ProgrammingError:
            if attempt == tries - 1:
                raise
            time.sleep(0.5)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()


@dataclass
class World:
    """A small project in a store: an admin, three annotators, a reviewer, guidelines and items."""

    store: Store
    admin: User
    annotators: list[User]
    reviewer: User
    schema: LabelSchema
    items: list[Item]

    def session(self) -> Session:
        return self.store.sessions()


def make_world(store: Store, items: int = 3, overlap: int = 2, annotators: int = 3) -> World:
    with store.begin() as s:
        admin = add_user(s, "ada", "admin")
        people = [add_user(s, f"ann{i}", "annotator", by=admin) for i in range(annotators)]
        reviewer = add_user(s, "rev", "reviewer", by=admin)
        publish_guidelines(s, "# Banking intents\nLabel the customer's request.", by=admin)
        schema = add_label_schema(s, "intent", "single_label", LABELS, by=admin)
        outputs = [
            ModelOutput(
                id=f"ex{i}", text=f"where is my card {i}?", model="tiny", run="run-001", phase="2-task"
            )
            for i in range(items)
        ]
        created = import_model_outputs(s, outputs, schema, overlap=overlap, by=admin)
    return World(store, admin, people, reviewer, schema, created)


@pytest.fixture
def world(store: Store) -> World:
    return make_world(store)
