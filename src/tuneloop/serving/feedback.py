"""Feedback on served answers: `POST /v1/feedback`, tied to the logged request, and `tuneloop
feedback import` for answers served elsewhere (another server, vLLM behind a different proxy).

A rating is "up", "down" or an integer 1-5; a correction is the answer the client says was right
(a suggestion for people to judge, never gold by itself). A client that may retry sends an
idempotency key: the same key with the same feedback returns the first row instead of adding
another, and the same key with different feedback is refused. An import reads the whole file
first and writes nothing when any line is bad, naming the file and line of each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.errors import NotFound
from tuneloop.annotate.store.models import ServedFeedback, ServedRequest
from tuneloop.errors import TuneloopError
from tuneloop.serving.log import redacted

Rating = Literal["up", "down"] | Annotated[int, Field(strict=True, ge=1, le=5)]
RATING_RULE = 'must be "up", "down" or an integer from 1 to 5'
LISTED = 10  # bad import lines named in the error (all are counted)


class Conflict(TuneloopError):
    """An idempotency key sent again with different feedback."""


class Feedback(BaseModel):
    """The body of `POST /v1/feedback` (the idempotency key may come as a header instead)."""

    model_config = ConfigDict(extra="forbid")
    response_id: str = Field(min_length=1, max_length=64)
    rating: Rating
    correction: str | None = None
    comment: str | None = None
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class ImportedFeedback(BaseModel):
    """One line of a `tuneloop feedback import` file."""

    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(min_length=1)
    response: str
    rating: Rating
    correction: str | None = None
    comment: str | None = None


def record_feedback(
    store: Store, feedback: Feedback, key_id: int | None, redact_pii: bool
) -> tuple[ServedFeedback, bool]:
    """Store feedback on a logged response; (the row, whether it is new). NotFound for a response
    id the log does not hold; Conflict for a reused idempotency key with other feedback."""
    fields: dict[str, Any] = {
        "rating": str(feedback.rating),
        "correction": feedback.correction,
        "comment": feedback.comment,
    }
    if redact_pii:
        fields, _ = redacted(fields)
    try:
        with store.begin() as session:
            return _add_once(session, feedback, fields, key_id)
    except IntegrityError:  # PostgreSQL: the same key committed by a concurrent request
        with store.begin() as session:
            return _add_once(session, feedback, fields, key_id)


def _add_once(
    session: Session, feedback: Feedback, fields: dict[str, Any], key_id: int | None
) -> tuple[ServedFeedback, bool]:
    request_id = session.scalar(
        select(ServedRequest.id).where(ServedRequest.response_id == feedback.response_id)
    )
    if request_id is None:
        raise NotFound(f"no logged response with id {feedback.response_id!r}")
    if feedback.idempotency_key is not None:
        earlier = session.scalar(
            select(ServedFeedback).where(ServedFeedback.idempotency_key == feedback.idempotency_key)
        )
        if earlier is not None:
            same = earlier.request_id == request_id and all(
                getattr(earlier, k) == v for k, v in fields.items()
            )
            if not same:
                raise Conflict(f"idempotency key {feedback.idempotency_key!r} was used for other feedback")
            return earlier, False
    row = ServedFeedback(
        request_id=request_id, idempotency_key=feedback.idempotency_key, key_id=key_id, source="api", **fields
    )
    session.add(row)
    session.flush()
    return row, True


def import_feedback(store: Store, path: Path, redact_pii: bool) -> int:
    """Every line of a JSONL file of prompt, response, rating and correction into the store, in
    one transaction; the number of rows. Any bad line: nothing written, each one named."""
    rows, problems = read_feedback_file(path)
    if problems:
        more = f" (and {len(problems) - LISTED} more)" if len(problems) > LISTED else ""
        raise TuneloopError(
            f"{len(problems)} bad line(s), nothing imported: " + "; ".join(problems[:LISTED]) + more
        )
    with store.begin() as session:
        for line, item in rows:
            fields, _ = redacted(item.model_dump()) if redact_pii else (item.model_dump(), False)
            fields["rating"] = str(fields["rating"])
            fields["answer"] = fields.pop("response")
            session.add(ServedFeedback(source=f"{path}:{line}", **fields))
    return len(rows)


def read_feedback_file(path: Path) -> tuple[list[tuple[int, ImportedFeedback]], list[str]]:
    """The file's rows by line number, and one `FILE:LINE: reason` per bad line."""
    if not path.is_file():
        raise TuneloopError(f"{path}: no such file")
    rows, problems = [], []
    for number, raw in enumerate(path.read_bytes().splitlines(), 1):
        if not raw.strip():
            continue
        try:
            rows.append((number, ImportedFeedback.model_validate(orjson.loads(raw))))
        except orjson.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: not JSON ({exc})")
        except ValidationError as exc:
            problems.append(f"{path}:{number}: {validation_reason(exc)}")
    if not rows and not problems:
        problems.append(f"{path}: no feedback lines")
    return rows, problems


def validation_reason(exc: ValidationError) -> str:
    """The first problem of a feedback object, as `field: reason`."""
    first = exc.errors()[0]
    where = str(first["loc"][0]) if first["loc"] else "the line"
    reason = RATING_RULE if where == "rating" else first["msg"]
    return f"{where}: {reason}"
