"""Twenty annotators claiming and submitting at once, on both engines: k is never exceeded."""

from __future__ import annotations

import threading
import time
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.unit.annotate.conftest import make_world
from tuneloop.annotate.store import Store, add_user, claim_next, skip, submit
from tuneloop.annotate.store.models import Annotation, Assignment, Item, User

THREADS = 20
ITEMS = 6
OVERLAP = 2


def held(session: Session) -> int:
    """Claims taken and not yet submitted or skipped: slots that may still come free."""
    pending = select(func.count(Assignment.id)).where(
        Assignment.submitted_at.is_(None), Assignment.skipped_at.is_(None)
    )
    return int(session.scalar(pending) or 0)


def test_concurrent_claims_never_exceed_k_nor_repeat_an_annotator_nor_lose_an_answer(store: Store) -> None:
    world = make_world(store, items=ITEMS, overlap=OVERLAP, annotators=0)
    with store.begin() as s:
        people = [add_user(s, f"worker{i:02d}", "annotator") for i in range(THREADS)]
    start = threading.Barrier(THREADS)
    acknowledged: list[tuple[int, int, int]] = []  # (annotation, item, user) after a successful commit
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(user: User, skips_first: bool) -> None:
        try:
            start.wait()
            while True:
                with store.begin() as s:
                    item = claim_next(s, user)
                    if item is None and held(s) == 0:
                        return
                    item_id = None if item is None else item.id
                if item_id is None:  # a claim still held elsewhere may be skipped and come free
                    time.sleep(0.01)
                    continue
                with store.begin() as s:
                    mine = s.get(Item, item_id)
                    assert mine is not None
                    if skips_first:
                        skip(s, user, mine, "testing skips under load")
                        skips_first = False
                        continue
                    annotation = submit(s, user, mine, "card_lost")
                    s.flush()
                    done = (annotation.id, item_id, user.id)
                with lock:
                    acknowledged.append(done)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(u, i % 5 == 0)) for i, u in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert errors == []

    with store.begin() as s:
        rows = s.execute(select(Annotation.id, Annotation.item_id, Annotation.annotator_id)).all()
        items = s.scalars(select(Item)).all()
        claims = s.execute(select(Assignment.item_id, Assignment.user_id)).all()
    per_item = Counter(item for _, item, _ in rows)
    assert all(count <= OVERLAP for count in per_item.values()), per_item
    assert len({(item, user) for _, item, user in rows}) == len(rows), "an annotator answered an item twice"
    assert len(set(claims)) == len(claims)
    assert sorted(acknowledged) == sorted(tuple(r) for r in rows), "an acknowledged answer is missing"
    # 20 workers are more than 6 items x 2 slots need: every item filled and closed
    assert per_item == dict.fromkeys((i.id for i in world.items), OVERLAP)
    assert all(i.closed_at is not None for i in items)
