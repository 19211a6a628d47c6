"""The request log and feedback in the store itself, on SQLite and on PostgreSQL: a logged row,
idempotent feedback on it, and the retention purge that takes old rows with their feedback."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tuneloop.annotate.store import Store
from tuneloop.annotate.store.models import ServedFeedback, ServedRequest, utcnow
from tuneloop.serving.feedback import Feedback, record_feedback
from tuneloop.serving.log import log_request, purge


def logged(store: Store, response_id: str, days_ago: float = 0) -> None:
    row = {"model": "m", "run": "run-001", "round": 1, "model_dir": "/m", "key_id": None, "endpoint": "chat"}
    at = utcnow() - timedelta(days=days_ago)
    request = {"messages": [{"role": "user", "content": "call me on +44 20 7946 0958"}]}
    log_request(
        store, True, request, {"id": response_id}, response_id=response_id, latency_ms=3.5, at=at, **row
    )


def test_feedback_on_a_logged_request_is_kept_once_per_key(store: Store) -> None:
    logged(store, "chatcmpl-a")
    given = Feedback(response_id="chatcmpl-a", rating=2, correction="card_arrival", idempotency_key="once")
    first, created = record_feedback(store, given, None, False)
    again, created_again = record_feedback(store, given, None, False)
    assert created and not created_again and first.id == again.id
    with store.read() as session:
        row = session.scalar(select(ServedRequest).where(ServedRequest.response_id == "chatcmpl-a"))
        feedback = list(session.scalars(select(ServedFeedback)))
    assert row is not None and row.redacted and "7946" not in str(row.request) and row.latency_ms == 3.5
    assert [(f.request_id, f.rating, f.correction) for f in feedback] == [(row.id, "2", "card_arrival")]


def test_the_purge_takes_old_requests_with_their_feedback_and_keeps_the_rest(store: Store) -> None:
    logged(store, "chatcmpl-old", days_ago=40)
    logged(store, "chatcmpl-new", days_ago=1)
    for rid in ("chatcmpl-old", "chatcmpl-new"):
        record_feedback(store, Feedback(response_id=rid, rating="up"), None, False)
    assert purge(store, retention_days=30) == (1, 1)
    with store.read() as session:
        left = [r.response_id for r in session.scalars(select(ServedRequest))]
        feedback = len(list(session.scalars(select(ServedFeedback))))
    assert left == ["chatcmpl-new"] and feedback == 1
    assert purge(store, retention_days=30) == (0, 0)
