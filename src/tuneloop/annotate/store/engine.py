"""Opening the store: one URL, SQLite by default, PostgreSQL when the spec names one.

`open_store` brings the schema up to date with the packaged Alembic migrations every time it opens
a database, so users never run `alembic` themselves and never need an alembic.ini.

SQLite gets, on every connection: WAL (readers do not block the writer), foreign keys on (off by
default in SQLite), a busy timeout (a writer waits for the lock instead of failing at once), and
`BEGIN IMMEDIATE` for every transaction. The last one is the claim rule on SQLite: a transaction
takes the write lock when it starts, so two claims never read the same free slot and then race;
a deferred transaction would instead fail with "database is locked" when it tries to upgrade its
read lock, whatever the busy timeout. On PostgreSQL, claims lock the item row (`FOR UPDATE`)
instead; see `assign.py`.

Within one process (the web app's worker threads), SQLite transactions also take a Python lock
first. They run one at a time anyway, but SQLite's busy handler retries by sleeping (up to 100 ms a
time), so a thread queued on the database lock waits far longer than the lock is held; the Python
lock hands over at once. Other processes still meet the busy timeout as before.

`Store.read()` is for long reads (the dashboard's agreement, an export): a snapshot that never
blocks writers and that writers never change under it. On SQLite a deferred transaction without
the Python lock (WAL gives it a consistent snapshot from its first read, and the writer goes on);
on PostgreSQL a REPEATABLE READ, READ ONLY transaction.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

STORE_FILE = "annotations.db"
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    reader: Engine  # snapshots for `read()`
    writer: threading.Lock | None = None  # SQLite: one transaction at a time in this process

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        turn: AbstractContextManager[object] = self.writer if self.writer is not None else nullcontext()
        with turn, self.sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session on a snapshot, for reads only: writers neither wait for it nor change it."""
        with Session(self.reader, expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
        self.reader.dispose()


def default_url(project: Path) -> str:
    """The embedded store of a project: `PROJECT/annotations.db`."""
    return f"sqlite:///{Path(project).resolve() / STORE_FILE}"


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Connect to the store at `url` and upgrade its schema to the newest migration."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    if engine.dialect.name != "sqlite":
        snapshots = engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        return Store(engine, sessionmaker(engine, expire_on_commit=False), snapshots)
    reader = make_engine(url, begin="BEGIN DEFERRED")
    return Store(engine, sessionmaker(engine, expire_on_commit=False), reader, threading.Lock())


def make_engine(url: str, begin: str = "BEGIN IMMEDIATE") -> Engine:
    """An engine for `url`; on SQLite, every transaction starts with `begin` (see above)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    private_file(parsed.database)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql(begin))
    return engine


def private_file(database: str | None) -> None:
    """Create the SQLite file with mode 0600 before SQLite does (it holds password hashes; SQLite
    gives its -wal and -shm files the mode of the database), and take read access from group and
    others on a database and its -wal/-shm files that an older version made 0644."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists() and stat.S_IMODE(part.stat().st_mode) & 0o077:
            part.chmod(0o600)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would send a deferred BEGIN; turn it off and send ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)
