"""The request log of the served model, in the project's store.

Every answered request is one `served_requests` row (request, response, latency, the model and
its run and round, the client's key), committed before the answer is sent, so a client never
holds an answer the log lacks, even if the server is killed the moment after. With
`serving.redact_pii` every text of the row is passed through the data checks' PII redaction first
(the client's answer is not changed). `serving.retention_days` bounds how long rows stay (`purge`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, delete, select

from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.models import ServedFeedback, ServedRequest, utcnow
from tuneloop.data.checks.pii import redact

T = TypeVar("T")


def redacted(value: T) -> tuple[T, bool]:
    """`value` (JSON: text, lists, objects) with PII replaced in every text, and whether any was."""
    if isinstance(value, str):
        text, counts = redact(value)
        return text, bool(counts)  # type: ignore[return-value]
    if isinstance(value, list):
        parts = [redacted(v) for v in value]
        return [p for p, _ in parts], any(c for _, c in parts)  # type: ignore[return-value]
    if isinstance(value, dict):
        pairs = {k: redacted(v) for k, v in value.items()}
        return {k: p for k, (p, _) in pairs.items()}, any(c for _, c in pairs.values())  # type: ignore[return-value]
    return value, False


def log_request(
    store: Store, redact_pii: bool, request: dict[str, Any], response: dict[str, Any], **row: Any
) -> None:
    """Commit one answered request; `row` holds the other columns of `ServedRequest`."""
    changed = False
    if redact_pii:
        both, changed = redacted([request, response])
        request, response = both
    with store.begin() as session:
        session.add(ServedRequest(request=request, response=response, redacted=changed, **row))


def purge(store: Store, retention_days: int, now: datetime | None = None) -> tuple[int, int]:
    """Delete the requests older than `retention_days`, with the feedback on them; (requests,
    feedback rows) deleted. Imported feedback (on no request) ages the same way."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with store.begin() as session:
        old = select(ServedRequest.id).where(ServedRequest.at < cutoff)
        on_old = ServedFeedback.request_id.in_(old)
        imported_old = ServedFeedback.request_id.is_(None) & (ServedFeedback.at < cutoff)
        feedback = _deleted(session.execute(delete(ServedFeedback).where(on_old | imported_old)))
        requests = _deleted(session.execute(delete(ServedRequest).where(ServedRequest.at < cutoff)))
    return requests, feedback


def _deleted(result: Any) -> int:
    """Rows a DELETE removed (its result is a cursor result, whatever `execute` is typed as)."""
    return cast(CursorResult[Any], result).rowcount
