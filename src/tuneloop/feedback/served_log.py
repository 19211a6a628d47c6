"""The served model's traffic as the monitor and the next round read it: the logged requests of
a time window from the project's store, each as its input text, the labels it was answered with
and the answer's confidence, and the feedback people gave on them.

The rows are read from the store's `served_requests` and `served_feedback` tables (written by
`tuneloop serve-model`, which this stage comes before: it reads the tables, never the server).
An answer's confidence comes from the `tuneloop` extension the server logs with each response:
a classify answer's is the probability of its label; a label set's is that of its least sure
decision, each label's presence score when it is in the set and one minus it when it is not.
A rating of "down", 1 or 2 counts as a thumbs-down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.models import ServedFeedback, ServedRequest
from tuneloop.errors import TuneloopError

NEGATIVE = frozenset({"down", "1", "2"})
STREAMED = 1000  # logged requests fetched at a time
LOGGED = (
    ServedRequest.id,
    ServedRequest.response_id,
    ServedRequest.at,
    ServedRequest.model,
    ServedRequest.run,
    ServedRequest.request,
    ServedRequest.response,
    ServedRequest.redacted,
)


@dataclass(frozen=True)
class Rating:
    """One piece of feedback on a served answer."""

    id: int
    rating: str
    correction: str | None
    comment: str | None

    @property
    def negative(self) -> bool:
        return self.rating in NEGATIVE


@dataclass(frozen=True)
class ServedRow:
    """One logged request: what was asked, what was answered, how sure, and its feedback."""

    request_id: int
    response_id: str
    at: datetime
    model: str
    run: str | None  # the run whose model answered, when it was a run's
    text: str  # the input the model answered: the last user turn, or the prompt
    answer: str
    labels: tuple[str, ...] | None  # the decoded label (set); None for a task without labels
    confidence: float | None  # None where the server logged no probabilities
    ratings: list[Rating] = field(default_factory=list)
    redacted: bool = False  # its texts were logged with PII replaced (`serving.redact_pii`)


def as_utc(moment: datetime) -> datetime:
    """A timestamp as an aware UTC one (SQLite hands back naive UTC; a user may give either)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_since(text: str | None) -> datetime | None:
    """`--since` as ISO 8601 (a date, or a date and time; no zone means UTC)."""
    if text is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise TuneloopError(
            f"--since {text!r}: not an ISO 8601 time (e.g. 2026-12-01 or 2026-12-01T08:00:00Z)"
        ) from None


def read_served(store: Store, since: datetime | None = None, rated_since: bool = False) -> list[ServedRow]:
    """Every request logged at or after `since` (all of them without it), oldest first, with the
    feedback tied to each; with `rated_since`, also an earlier request rated at or after `since`
    (`round next`: feedback is new when it is given, whenever the answer was)."""
    with store.read() as session:
        query = select(*LOGGED).order_by(ServedRequest.id).execution_options(yield_per=STREAMED)
        if since is not None:
            window = ServedRequest.at >= since
            if rated_since:
                rated = select(ServedFeedback.request_id).where(ServedFeedback.at >= since)
                window = or_(window, ServedRequest.id.in_(rated))
            query = query.where(window)
        # columns, not ORM objects, streamed: each request's JSON is read, made a compact row and
        # dropped, so a long log never sits in memory whole
        rows = [_row(r) for r in session.execute(query)]
        by_id = {row.request_id: row for row in rows}
        for request_id, rating in _ratings(session, list(by_id)):
            by_id[request_id].ratings.append(rating)
    return rows


def read_imported(store: Store, since: datetime | None = None) -> list[ServedRow]:
    """Feedback imported with `tuneloop feedback import` (at or after `since`): an answer given
    elsewhere, its prompt and answer kept with the rating, each as a row of its own, referenced
    `import:ID` (it has no logged request, model or confidence)."""
    with store.read() as session:
        query = select(ServedFeedback).where(ServedFeedback.request_id.is_(None)).order_by(ServedFeedback.id)
        if since is not None:
            query = query.where(ServedFeedback.at >= since)
        return [
            ServedRow(
                0,
                f"import:{f.id}",
                as_utc(f.at),
                "imported",
                None,
                f.prompt or "",
                f.answer or "",
                None,
                None,
                [Rating(f.id, f.rating, f.correction, f.comment)],
            )
            for f in session.scalars(query)
        ]


def _ratings(session: Session, request_ids: list[int]) -> Iterator[tuple[int, Rating]]:
    """The feedback on each of `request_ids`, oldest first per request."""
    columns = (ServedFeedback.request_id, ServedFeedback.id, ServedFeedback.rating, ServedFeedback.correction)
    for start in range(0, len(request_ids), 500):  # bounded IN lists, for any engine
        chunk = request_ids[start : start + 500]
        query = select(*columns, ServedFeedback.comment).where(ServedFeedback.request_id.in_(chunk))
        for f in session.execute(query.order_by(ServedFeedback.id)):
            yield int(f.request_id or 0), Rating(f.id, f.rating, f.correction, f.comment)


def _row(request: Row[Any]) -> ServedRow:
    """One logged request (the `LOGGED` columns) as the compact row the monitor reads."""
    extension = request.response.get("tuneloop") or {}
    return ServedRow(
        request_id=request.id,
        response_id=request.response_id,
        at=as_utc(request.at),
        model=request.model,
        run=request.run,
        text=input_text(request.request),
        answer=answer_text(request.response),
        labels=answered_labels(extension),
        confidence=answer_confidence(extension),
        redacted=bool(request.redacted),
    )


def input_text(request: dict[str, Any]) -> str:
    """The input a logged request asked about: its last user turn, or its prompt."""
    user = [m.get("content") or "" for m in request.get("messages") or [] if m.get("role") == "user"]
    if user:
        return str(user[-1])
    prompt = request.get("prompt")
    return str(prompt[0] if isinstance(prompt, list) and prompt else prompt or "")


def answer_text(response: dict[str, Any]) -> str:
    choice = (response.get("choices") or [{}])[0]
    return str((choice.get("message") or {}).get("content") or choice.get("text") or "")


def answered_labels(extension: dict[str, Any]) -> tuple[str, ...] | None:
    """The decoded label (set) of an answer; an empty set for a classify answer that was no label."""
    if "labels" in extension:
        return tuple(extension["labels"] or ())
    if "label" in extension:
        return (extension["label"],) if extension["label"] is not None else ()
    return None


def answer_confidence(extension: dict[str, Any]) -> float | None:
    """The probability of a classify answer's label, or of a label set's least sure decision."""
    probabilities, label = extension.get("probabilities"), extension.get("label")
    if probabilities and label is not None:
        return float(probabilities.get(label, 0.0))
    scores, labels = extension.get("label_scores"), extension.get("labels")
    if scores and labels is not None:
        return set_confidence(set(labels), scores)
    return None


def set_confidence(chosen: set[str], scores: dict[str, float]) -> float:
    return float(min(s if name in chosen else 1.0 - s for name, s in scores.items()))


def feedback_summary(rows: list[ServedRow]) -> dict[str, Any]:
    """Ratings counted by value, the thumbs-down rate among rated answers, corrections given."""
    ratings = [r for row in rows for r in row.ratings]
    rated = [row for row in rows if row.ratings]
    down = [row for row in rated if any(r.negative for r in row.ratings)]
    numeric = [int(r.rating) for r in ratings if r.rating.isdigit()]
    return {
        "feedback": len(ratings),
        "rated_answers": len(rated),
        "thumbs_down": len(down),
        "thumbs_down_rate": len(down) / len(rated) if rated else None,
        "ratings": dict(sorted(Counter(r.rating for r in ratings).items())),
        "mean_rating": sum(numeric) / len(numeric) if numeric else None,
        "corrections": sum(r.correction is not None for r in ratings),
    }
