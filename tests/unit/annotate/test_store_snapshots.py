"""`Store.read()` on both engines: a long read (the dashboard, an export) sees one snapshot and
never holds up the annotators' writes."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.unit.annotate.conftest import World
from tuneloop.annotate.store import add_user
from tuneloop.annotate.store.models import User
from tuneloop.annotate.store.repository import get


def test_a_write_commits_while_a_snapshot_is_open_and_the_snapshot_does_not_change(world: World) -> None:
    committed = threading.Event()

    def write() -> None:
        with world.store.begin() as s:
            add_user(s, "newcomer", "annotator", by=get(s, User, world.admin.id))
        committed.set()

    with world.store.read() as snapshot:
        before = snapshot.scalar(select(func.count(User.id)))
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=60)  # a writer blocked by this read would still be waiting
        assert committed.is_set(), "the write waited for the read"
        assert snapshot.scalar(select(func.count(User.id))) == before  # the snapshot holds
    with world.store.read() as later:
        assert later.scalar(select(func.count(User.id))) == before + 1
