"""The reviewer's queue (accept, or correct with a reason), the adjudication queue (the
disagreeing answers side by side, then the gold label with a note) and the label-issue queue (a
suspect label with the finder's reason: keep it, or set another, which becomes the gold label).
The services refuse a reviewer's own items; these routes only show the queues and pass the
choice on: one label, for a multi_label item the selected set, for a fields item the record of
its inputs (adjudicated field by field: `field_form.adjudication_rows`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tuneloop.annotate.store import adjudicate, disagreements, items_needing_review, review
from tuneloop.annotate.store.label_issues import open_issues, resolve_issue
from tuneloop.annotate.store.models import FIELDS, MULTI_LABEL, Annotation, Item, LabelIssue
from tuneloop.annotate.store.repository import current_annotations, get
from tuneloop.annotate.store.review import unreviewed_answers
from tuneloop.annotate.store.users import CAN_ADJUDICATE, CAN_REVIEW
from tuneloop.web.context import PathId, render, signed_in
from tuneloop.web.field_form import (
    FieldRow,
    adjudication_rows,
    form_fields,
    posted_fields,
    posted_record,
)

Posted = Annotated[dict[str, str], Depends(posted_fields)]

router = APIRouter()


@router.get("/review")
def review_queue(request: Request) -> Response:
    with signed_in(request, CAN_REVIEW, "review") as (session, user):
        queue = items_needing_review(session, user)
        item = queue[0] if queue else None
        answers = unreviewed_answers(session, item) if item is not None else []
        fields = form_fields(item.label_schema if item is not None else None)
        rows: dict[int, list[FieldRow]] = (
            {a.id: adjudication_rows(fields, [a]) for a in answers} if fields else {}
        )
        return render(
            request, "review.html", user, item=item, answers=answers, waiting=len(queue), fields=rows
        )


@router.post("/review/{annotation_id}")
def review_answer(
    request: Request,
    annotation_id: PathId,
    verdict: Annotated[Literal["accept", "correct"], Form()],
    posted: Posted,
    label: Annotated[str | None, Form(max_length=500)] = None,
    labels: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    with signed_in(request, CAN_REVIEW, "review") as (session, user):
        answer = get(session, Annotation, annotation_id)
        corrected = _answer(answer.item, label, labels, posted) if verdict == "correct" else label
        review(session, user, answer, verdict, label=corrected, reason=reason)
    return RedirectResponse("/review", status_code=303)


@router.get("/adjudicate")
def adjudication_queue(request: Request) -> Response:
    with signed_in(request, CAN_ADJUDICATE, "adjudicate") as (session, user):
        queue = disagreements(session, user)
        item = queue[0] if queue else None
        answers = current_annotations(session, item) if item is not None else []
        fields = adjudication_rows(form_fields(item.label_schema), answers) if item is not None else []
        return render(
            request, "adjudicate.html", user, item=item, answers=answers, waiting=len(queue), fields=fields
        )


@router.post("/adjudicate/{item_id}")
def adjudicate_item(
    request: Request,
    item_id: PathId,
    posted: Posted,
    label: Annotated[str | None, Form(max_length=500)] = None,
    labels: Annotated[list[str] | None, Form()] = None,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    with signed_in(request, CAN_ADJUDICATE, "adjudicate") as (session, user):
        item = get(session, Item, item_id)
        adjudicate(session, user, item, _answer(item, label, labels, posted), note)
    return RedirectResponse("/adjudicate", status_code=303)


@router.get("/review/issues")
def label_issue_queue(request: Request) -> Response:
    with signed_in(request, CAN_ADJUDICATE, "review label issues") as (session, user):
        queue = open_issues(session, user)
        issue = queue[0] if queue else None
        return render(request, "label_issue.html", user, issue=issue, waiting=len(queue))


@router.post("/review/issues/{issue_id}")
def review_label_issue(
    request: Request,
    issue_id: PathId,
    verdict: Annotated[Literal["keep", "correct"], Form()],
    label: Annotated[str | None, Form(max_length=500)] = None,
    labels: Annotated[list[str] | None, Form()] = None,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    with signed_in(request, CAN_ADJUDICATE, "review label issues") as (session, user):
        issue = get(session, LabelIssue, issue_id)
        decided = issue.given_label if verdict == "keep" else _answer(issue.item, label, labels, {})
        resolve_issue(session, user, issue, decided, note)
    return RedirectResponse("/review/issues", status_code=303)


def _answer(item: Item, label: str | None, labels: list[str] | None, posted: dict[str, str]) -> Any:
    """The form's answer: the record of a fields item's inputs, the selected set of a multi_label
    item (none selected: the empty set), else the one label; the store checks it."""
    if item.label_schema.kind == FIELDS:
        return posted_record(form_fields(item.label_schema), posted)
    return (labels or []) if item.label_schema.kind == MULTI_LABEL else label
