"""`tuneloop feedback import|purge PROJECT`: feedback on answers served elsewhere, and the
retention of the served model's request log (`serving.retention_days`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import JsonOpt, ProjectArg, emit, guarded, out

feedback_app = typer.Typer(no_args_is_help=True, help="Feedback on served answers and the request log.")


@feedback_app.command("import")
@guarded
def feedback_import(
    project: ProjectArg,
    file: Annotated[
        Path, typer.Argument(help="JSONL: prompt, response, rating (up, down or 1-5), correction?, comment?")
    ],
    json_out: JsonOpt = False,
) -> None:
    """Import feedback logged elsewhere into the project's store. A bad line stops the import with
    its file and line, and nothing of the file is written."""
    from tuneloop.annotate.project import project_store
    from tuneloop.serving.feedback import import_feedback
    from tuneloop.spec import load_spec

    spec = load_spec(project)
    count = import_feedback(project_store(spec), file, spec.serving.redact_pii)
    emit({"imported": count, "file": str(file)}) if json_out else out.print(
        f"imported {count} feedback rows from {file}", highlight=False, markup=False
    )


@feedback_app.command("purge")
@guarded
def feedback_purge(project: ProjectArg, json_out: JsonOpt = False) -> None:
    """Delete logged requests older than `serving.retention_days`, with the feedback on them."""
    from tuneloop.annotate.project import project_store
    from tuneloop.errors import TuneloopError
    from tuneloop.serving.log import purge
    from tuneloop.spec import load_spec

    spec = load_spec(project)
    if spec.serving.retention_days is None:
        raise TuneloopError("serving.retention_days is not set in the spec: every logged request is kept")
    requests, feedback = purge(project_store(spec), spec.serving.retention_days)
    days = spec.serving.retention_days
    payload = {"requests": requests, "feedback": feedback, "retention_days": days}
    emit(payload) if json_out else out.print(
        f"purged {requests} requests and {feedback} feedback rows older than {days} days",
        highlight=False,
        markup=False,
    )
