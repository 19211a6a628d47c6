"""A small JSON API over the same services, for scripts and the load benchmark.

The same session cookie signs it in; POSTs send the CSRF token in the `X-CSRF-Token` header
(`GET /api/next` returns it). Every id in a path or body is checked against the signed-in user by
the services (`item_for`, `submit`, `undo_last`), exactly as for the pages.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tuneloop.annotate.store import annotations_visible_to, claim_next, skip, submit, undo_last
from tuneloop.annotate.store.models import Item
from tuneloop.annotate.store.users import CAN_ANNOTATE
from tuneloop.annotate.store.visibility import item_for
from tuneloop.web.context import BodyId, PathId, signed_in, web
from tuneloop.web.security import csrf_token

router = APIRouter(prefix="/api")
ANNOTATE = (CAN_ANNOTATE, "annotate")


class Answer(BaseModel):
    item_id: BodyId
    label: Any
    request_id: str = Field(min_length=8, max_length=64)


class Skip(BaseModel):
    item_id: BodyId
    reason: str = Field(max_length=2000)


class Undo(BaseModel):
    annotation_id: BodyId


@router.get("/next")
def next_item(request: Request) -> dict[str, Any]:
    spec = web(request).spec
    with signed_in(request, *ANNOTATE) as (session, user):
        item = claim_next(
            session, user, route_by_skill=spec.annotation.route_by_skill, queue=spec.assist.queue
        )
        found = None if item is None else _shown(item)
    return {"item": found, "csrf_token": csrf_token(web(request).secret, request.state.session_token)}


def _shown(item: Item) -> dict[str, Any]:
    """An item as a client needs it: a multi_label item takes a list of `min_labels` to
    `max_labels` labels (None: unbounded), a fields item a record of its `field_schema`."""
    schema = item.label_schema
    return {
        "id": item.id,
        "text": item.text,
        "labels": schema.labels,
        "kind": schema.kind,
        "min_labels": schema.min_labels,
        "max_labels": schema.max_labels,
        "field_schema": schema.field_schema,
    }


@router.post("/submit")
def submit_answer(request: Request, answer: Answer) -> dict[str, Any]:
    with signed_in(request, *ANNOTATE) as (session, user):
        item = item_for(session, user, answer.item_id)
        row = submit(
            session,
            user,
            item,
            answer.label,
            request_id=answer.request_id,
            suggestions=False,  # the API serves no suggestion (`_shown`), so none was on screen
        )
        return {"annotation_id": row.id, "item_id": item.id, "label": row.label}


@router.post("/skip")
def skip_item(request: Request, body: Skip) -> dict[str, Any]:
    with signed_in(request, *ANNOTATE) as (session, user):
        skip(session, user, item_for(session, user, body.item_id), body.reason)
    return {"skipped": body.item_id}


@router.post("/undo")
def undo(request: Request, body: Undo) -> dict[str, Any]:
    with signed_in(request, *ANNOTATE) as (session, user):
        retraction = undo_last(session, user, body.annotation_id)
        return {"undone": body.annotation_id, "item_id": retraction.item_id}


@router.get("/items/{item_id}")
def item_answers(request: Request, item_id: PathId) -> dict[str, Any]:
    with signed_in(request, ("annotator", "reviewer", "admin"), "see items") as (session, user):
        item = item_for(session, user, item_id)
        rows = annotations_visible_to(session, user, item)
        answers = [
            {"id": r.id, "annotator": r.annotator.name, "label": r.label, "retracted": r.retracted}
            for r in rows
        ]
        return {"id": item.id, "text": item.text, "answers": answers}
