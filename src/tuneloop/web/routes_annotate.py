"""The annotator's queue: the next item with the current guidelines, and the keyboard-first form.

Each page carries a fresh `request_id` for its submission, so a resent form (a double Enter, a
retry after a dropped connection) records one answer, not two. A model output sampled for review
(`output_review` item, from `tuneloop review sample`) gets the review form instead of the labels:
a rating 1-5, correct or not, and an optional corrected output; the store checks the answer.
A multi_label item gets checkboxes: each label's key toggles it (digits, then letters that no
other command uses, `MULTI_KEYS`), Enter submits the ticked set, and the store checks its bounds.
A fields item (an extract task) gets one input per field, filled by typing or from a selected
span of the text (`field_form.py`); the store checks the record.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tuneloop.annotate.store import (
    annotations_visible_to,
    claim_next,
    current_guidelines,
    skip,
    submit,
    undo_last,
)
from tuneloop.annotate.store.assign import undoable
from tuneloop.annotate.store.models import FIELDS, MULTI_LABEL, OUTPUT_REVIEW
from tuneloop.annotate.store.progress import day_progress
from tuneloop.annotate.store.suggestions import suggestion_for
from tuneloop.annotate.store.users import CAN_ANNOTATE
from tuneloop.annotate.store.visibility import item_for
from tuneloop.web.context import FormId, PathId, render, signed_in, web
from tuneloop.web.field_form import field_rows, form_fields, posted_fields, posted_record

router = APIRouter()
ANNOTATE = (CAN_ANNOTATE, "annotate")
SINGLE_KEYS = "123456789"
MULTI_KEYS = "123456789abcdefghijklmopqrtvwxz"  # not n, s, u, y: verdicts, skip and undo keep theirs


def label_keys(kind: str, labels: list[str]) -> list[str]:
    """The key of each label on the page, "" past the last key (found with `/` instead)."""
    keys = MULTI_KEYS if kind == MULTI_LABEL else SINGLE_KEYS
    return [keys[i] if i < len(keys) else "" for i in range(len(labels))]


@router.get("/annotate")
def queue(request: Request) -> Response:
    """The claim commits before the page renders: its row lock lasts the claim, not the rendering."""
    spec = web(request).spec
    with signed_in(request, *ANNOTATE) as (session, user):
        item = claim_next(
            session, user, route_by_skill=spec.annotation.route_by_skill, queue=spec.assist.queue
        )
        schema = item.label_schema if item is not None else None
        labels = schema.labels if schema is not None else []
        page: dict[str, Any] = {
            "item": item,
            "labels": labels,
            "keys": label_keys(schema.kind, labels) if schema is not None else [],
            "multi": schema is not None and schema.kind == MULTI_LABEL,
            "bounds": (schema.min_labels, schema.max_labels) if schema is not None else (None, None),
            "reviewing": schema is not None and schema.kind == OUTPUT_REVIEW,
            "fields": field_rows(form_fields(schema)),
            "suggestion": suggestion_for(session, item, spec.annotation.suggestions, spec.assist.blind_share)
            if item is not None
            else None,
            "guidelines": current_guidelines(session),
            "progress": day_progress(session, user),
            "undoable": undoable(session, user),
        }
    return render(request, "annotate.html", user, request_id=uuid.uuid4().hex, **page)


@router.post("/annotate/submit")
def submit_answer(
    request: Request,
    item_id: FormId,
    request_id: Annotated[str, Form(min_length=8, max_length=64)],
    posted: Annotated[dict[str, str], Depends(posted_fields)],
    label: Annotated[str | None, Form(max_length=500)] = None,
    labels: Annotated[list[str] | None, Form()] = None,
    rating: Annotated[int | None, Form()] = None,
    correct: Annotated[str | None, Form(max_length=3)] = None,
    corrected: Annotated[str | None, Form(max_length=5000)] = None,
) -> Response:
    with signed_in(request, *ANNOTATE) as (session, user):
        item = item_for(session, user, item_id)
        answer: Any = label
        if item.label_schema.kind == FIELDS:
            answer = posted_record(form_fields(item.label_schema), posted)
        elif item.label_schema.kind == MULTI_LABEL:  # no box ticked sends no field: the empty set
            answer = labels or []
        elif item.label_schema.kind == OUTPUT_REVIEW:  # the store's check_label says what is missing
            verdict = {"yes": True, "no": False}.get(correct or "", correct)
            answer = {"rating": rating, "correct": verdict, "corrected": (corrected or "").strip() or None}
        submit(
            session,
            user,
            item,
            answer,
            request_id=request_id,
            suggestions=web(request).spec.annotation.suggestions,
            blind_share=web(request).spec.assist.blind_share,
        )
    return RedirectResponse("/annotate", status_code=303)


@router.post("/annotate/skip")
def skip_item(request: Request, item_id: FormId, reason: Annotated[str, Form(max_length=2000)]) -> Response:
    with signed_in(request, *ANNOTATE) as (session, user):
        skip(session, user, item_for(session, user, item_id), reason)
    return RedirectResponse("/annotate", status_code=303)


@router.post("/annotate/undo")
def undo(request: Request, annotation_id: FormId) -> Response:
    with signed_in(request, *ANNOTATE) as (session, user):
        undo_last(session, user, annotation_id)
    return RedirectResponse("/annotate", status_code=303)


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: PathId) -> Response:
    with signed_in(request, ("annotator", "reviewer", "admin"), "see items") as (session, user):
        item = item_for(session, user, item_id)
        rows = annotations_visible_to(session, user, item)
        return render(request, "item.html", user, item=item, rows=rows)
