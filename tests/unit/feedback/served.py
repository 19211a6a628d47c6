"""Served traffic for the feedback tests: a BANKING77 project with a run's DatasetVersion, and
requests and feedback logged through the server's own log and feedback functions (no model)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.conftest import build_project
from tuneloop.annotate.project import project_store
from tuneloop.annotate.store import add_user, claim_next, open_store, submit
from tuneloop.annotate.store.models import utcnow
from tuneloop.data.prepare import prepare_dataset
from tuneloop.run_dir import data_dir, update_record
from tuneloop.serving.feedback import Feedback, record_feedback
from tuneloop.serving.log import log_request
from tuneloop.spec import ProjectSpec, load_spec

LABELS = 4
SERVED = itertools.count()  # response ids, unique across every call


def project_with_run(root: Path, slices: list[dict[str, Any]]) -> Path:
    """A BANKING77 project of 240 rows of 4 intents, with runs/run-001 holding its DatasetVersion.
    Each slice group adds a domain test (and, through Holm, shuffles to every test): the tests
    that need none have none, so each stays a few seconds."""
    project = build_project(root / "project", rows=240, labels=LABELS, evaluation={"slices": slices})
    spec = load_spec(project)
    run_dir = spec.output_path / "run-001"
    prepare_dataset(spec, data_dir(run_dir))
    update_record(run_dir, project=str(project), spec=spec.model_dump(mode="json"), status="trained")
    return project


def serve(
    project: Path,
    traffic: list[tuple[str, str]],
    confidence: float,
    days_ago: float = 0,
    run: str = "run-001",
) -> list[str]:
    """Log each (text, answered label) as `tuneloop serve-model` logs `run`'s answer; the response ids."""
    store = open_store(load_spec(project).store_url)
    ids = []
    for text, label in traffic:
        rid = f"chatcmpl-{next(SERVED)}"
        extension = {
            "run": run,
            "label": label,
            "probabilities": {label: confidence, "other": 1 - confidence},
        }
        response = {"id": rid, "choices": [{"message": {"content": label}}], "tuneloop": extension}
        request = {"model": "m", "messages": [{"role": "user", "content": text}]}
        row = {
            "model": "m" if run == "run-001" else f"m-{run}",
            "run": run,
            "round": 1,
            "model_dir": "/m",
            "key_id": None,
            "endpoint": "chat",
        }
        at = utcnow() - timedelta(days=days_ago)
        log_request(store, False, request, response, response_id=rid, latency_ms=2.0, at=at, **row)
        ids.append(rid)
    store.close()
    return ids


def rate(project: Path, ratings: list[tuple[str, Any, str | None]]) -> None:
    store = open_store(load_spec(project).store_url)
    for rid, rating, correction in ratings:
        record_feedback(store, Feedback(response_id=rid, rating=rating, correction=correction), None, False)
    store.close()


def answer_every_item(spec: ProjectSpec, names: list[str], answer: Callable[[str, Any], Any]) -> None:
    """New annotators `names` each answer every item they can claim, `answer(name, item)`."""
    store = project_store(spec)
    with store.begin() as session:
        people = {name: add_user(session, name, "annotator") for name in names}
    for name, person in people.items():
        while True:
            with store.begin() as session:
                user = session.merge(person)
                item = claim_next(session, user)
                if item is None:
                    break
                submit(session, user, item, answer(name, item))
    store.close()
