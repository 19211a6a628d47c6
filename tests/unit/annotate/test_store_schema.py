"""The schema on both engines: migrations agree with the models, and SQLite is set up as promised."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from tuneloop.annotate.store import Store, default_url, open_store
from tuneloop.annotate.store.engine import MIGRATIONS, alembic_config
from tuneloop.annotate.store.models import Base


def test_the_migrations_build_exactly_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_the_store_is_at_the_newest_migration_and_can_go_down_and_up(store: Store) -> None:
    head = ScriptDirectory.from_config(alembic_config(store.engine)).get_current_head()
    with store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
    command.downgrade(alembic_config(store.engine), "base")
    assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(alembic_config(store.engine), "head")
    assert set(Base.metadata.tables) <= set(inspect(store.engine).get_table_names())


def test_the_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS / "env.py").is_file() and (MIGRATIONS / "script.py.mako").is_file()
    assert list((MIGRATIONS / "versions").glob("0001_*.py"))


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    store = open_store(default_url(tmp_path))
    assert (tmp_path / "annotations.db").is_file()
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    store.close()
