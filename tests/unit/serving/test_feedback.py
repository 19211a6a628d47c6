"""Feedback on served answers: `POST /v1/feedback` through the same client's HTTP layer, tied to
the logged request, idempotent by key; and `tuneloop feedback import`, all or nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.unit.serving.conftest import Served
from tuneloop.annotate.store.models import ServedFeedback, ServedRequest
from tuneloop.cli import app

runner = CliRunner()


@pytest.fixture
def http(served: Served) -> httpx.Client:
    return httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {served.key}"}, timeout=30)


def answered(http: httpx.Client, served: Served) -> str:
    body = {"model": served.model, "messages": [{"role": "user", "content": "my card has not arrived"}]}
    response_id: str = http.post("/chat/completions", json=body).json()["id"]
    return response_id


def feedback_rows(served: Served) -> list[ServedFeedback]:
    with served.store.read() as session:
        return list(session.scalars(select(ServedFeedback).order_by(ServedFeedback.id)))


def test_feedback_is_tied_to_the_logged_request_and_idempotent(http: httpx.Client, served: Served) -> None:
    rid = answered(http, served)
    body = {"response_id": rid, "rating": "down", "correction": "card_arrival", "comment": "wrong"}
    first = http.post("/feedback", json=body, headers={"Idempotency-Key": "k-1"})
    again = http.post("/feedback", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200 and first.json()["id"] == again.json()["id"]
    rows = [r for r in feedback_rows(served) if r.idempotency_key == "k-1"]
    assert len(rows) == 1 and rows[0].rating == "down" and rows[0].correction == "card_arrival"
    with served.store.read() as session:
        request = session.get(ServedRequest, rows[0].request_id)
    assert request is not None and request.response_id == rid and rows[0].key_id == request.key_id
    changed = http.post("/feedback", json=body | {"rating": 4}, headers={"Idempotency-Key": "k-1"})
    assert changed.status_code == 409 and changed.json()["error"]["param"] == "idempotency_key"


def test_feedback_on_an_unknown_response_is_a_404_and_a_bad_rating_a_400(
    http: httpx.Client, served: Served
) -> None:
    missing = http.post("/feedback", json={"response_id": "chatcmpl-nope", "rating": 5})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "response_not_found"
    bad = http.post("/feedback", json={"response_id": answered(http, served), "rating": 6})
    assert bad.status_code == 400 and bad.json()["error"]["param"].startswith("rating")


def test_an_import_with_a_bad_line_names_it_and_writes_nothing(served: Served, tmp_path: Path) -> None:
    good = {"prompt": "where is my card", "response": "card_arrival", "rating": "up"}
    lines = [good, good | {"rating": "meh"}, good | {"correction": "card_linking", "rating": 2}]
    path = tmp_path / "elsewhere.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n{not json\n")
    before = len(feedback_rows(served))
    refused = runner.invoke(app, ["feedback", "import", str(served.project), str(path)])
    assert refused.exit_code == 2
    assert f"{path}:2: rating: must be" in refused.output and f"{path}:4: not JSON" in refused.output
    assert len(feedback_rows(served)) == before  # nothing half-written
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in (lines[0], lines[2])) + b"\n")
    imported = runner.invoke(app, ["feedback", "import", str(served.project), str(path), "--json"])
    assert imported.exit_code == 0 and orjson.loads(imported.output)["imported"] == 2
    rows = feedback_rows(served)[before:]
    assert [(r.rating, r.correction, r.source) for r in rows] == [
        ("up", None, f"{path}:1"),
        ("2", "card_linking", f"{path}:2"),
    ]
    with served.store.read() as session:
        assert session.scalar(select(func.count()).where(ServedFeedback.request_id.is_(None))) == 2
