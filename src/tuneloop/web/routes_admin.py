"""The admin dashboard: progress per annotator, agreement per label and per pair (the report's own
plots), the most-confused label pairs, the guideline hints (the report's list, for this store),
the guidelines with a form to publish a new version, and the export to a DatasetVersion, which
honours the agreement gate unless an override reason is given.
The dashboard and the export read a snapshot of the store, so annotators never wait for them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from starlette.responses import Response

from tuneloop.annotate.gold import export_dataset
from tuneloop.annotate.project import annotated_dataset
from tuneloop.annotate.store import progress, publish_guidelines
from tuneloop.annotate.store.progress import recent_skips
from tuneloop.annotate.store.repository import latest_guidelines
from tuneloop.feedback.guideline_hints import guideline_hints
from tuneloop.report.annotation import annotation_section
from tuneloop.report.guideline_hints import hints_html
from tuneloop.web.context import render, signed_in, web

router = APIRouter(prefix="/admin")
ADMIN = (("admin",), "see the dashboard")


@router.get("")
def dashboard(request: Request) -> Response:
    spec = web(request).spec
    with signed_in(request, *ADMIN, snapshot=True) as (session, user):
        people = progress(session)
        skips = recent_skips(session)
        guidelines = latest_guidelines(session)  # None until the first version: the form publishes it
    return render(
        request,
        "admin.html",
        user,
        people=people,
        skips=skips,
        guidelines=guidelines,
        agreement=annotation_section(spec, web(request).store),
        hints=Markup(hints_html(guideline_hints(spec, web(request).store))),  # autoescaped by the report
    )


@router.post("/guidelines")
def publish(request: Request, markdown: Annotated[str, Form(min_length=1, max_length=200_000)]) -> Response:
    with signed_in(request, ("admin",), "publish guidelines") as (session, user):
        publish_guidelines(session, markdown.replace("\r\n", "\n"), user)
    return RedirectResponse("/admin", status_code=303)


@router.post("/export")
def export(request: Request, override: Annotated[str, Form(max_length=2000)] = "") -> Response:
    spec = web(request).spec
    out_dir = spec.output_path / "annotated" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    with signed_in(request, ("admin",), "export annotations", snapshot=True) as (session, user):
        version = export_dataset(
            session, spec, annotated_dataset(session, spec), out_dir, override.strip() or None
        )
    return render(
        request,
        "notice.html",
        user,
        title="Exported",
        message=f"Wrote dataset version {version.hash[:12]} to {version.path}",
    )
