"""The app without a network: no key needed while the store holds none (and needed again from
the first key on, or always with `require_keys`), a generate task's sampling settings, and the
request log's PII redaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import build_project, spread_weights
from tests.unit.serving.conftest import make_run
from tuneloop.annotate.store import Store, open_store
from tuneloop.annotate.store.models import ServedRequest
from tuneloop.serving.app import create_app
from tuneloop.serving.keys import add_key, revoke_key
from tuneloop.serving.served import ServedModel, load_served, resolve_target
from tuneloop.spec.serving import ServingSpec

ASK = [{"role": "user", "content": "my card never came, write to jane.doe@example.com"}]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServedModel, Store]]:
    project = build_project(tmp_path_factory.mktemp("app") / "project", rows=60, labels=3)
    served = load_served(resolve_target(make_run(project)))
    store = open_store(served.target.project.store_url)
    yield served, store
    store.close()


def chat(client: TestClient, model: str, **extra: object) -> dict[str, object]:
    response = client.post("/v1/chat/completions", json={"model": model, "messages": ASK, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_no_key_is_needed_until_the_first_is_added(loaded: tuple[ServedModel, Store]) -> None:
    served, store = loaded
    with TestClient(create_app(served, store)) as client:
        assert client.get("/v1/models").status_code == 200
        with store.begin() as session:
            _, token = add_key(session, "app")
        refused = client.get("/v1/models")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/health").json()["run"] == "run-001"  # health needs no key
        with store.begin() as session:
            revoke_key(session, "app")
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with TestClient(create_app(served, store, require_keys=True)) as client:
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_generate_task_generates_within_max_tokens_and_stops(loaded: tuple[ServedModel, Store]) -> None:
    served, store = loaded
    spread_weights(served.model, seed=3)  # a built model's greedy answer is an end token at once
    card = replace(served.target.card, task="generate")
    generating = replace(served, target=replace(served.target, card=card))
    with TestClient(create_app(generating, store)) as client:
        body = chat(client, served.target.id, max_tokens=3)
        choice = body["choices"][0]  # type: ignore[index]
        assert choice["finish_reason"] == "length" and body["usage"]["completion_tokens"] <= 3  # type: ignore[index]
        assert "label" not in body["tuneloop"]  # type: ignore[operator]
        text = choice["message"]["content"]
        assert text
        stop = text.split()[-1]
        cut = chat(client, served.target.id, max_tokens=3, stop=[stop])
        assert cut["choices"][0]["message"]["content"] == text[: text.find(stop)]  # type: ignore[index]
        assert cut["choices"][0]["finish_reason"] == "stop"  # type: ignore[index]
        sampled = chat(client, served.target.id, max_tokens=3, temperature=1.5)
        assert sampled["choices"][0]["finish_reason"] in ("stop", "length")  # type: ignore[index]


def test_an_extract_task_answers_inside_the_schema_and_says_what_it_read(
    loaded: tuple[ServedModel, Store],
) -> None:
    """A built model knows no JSON; constrained (the card's decoding), its answer is still a record
    of the schema, and the extension reads it against the message: an extractive value the message
    lacks is a problem. Enums only: a random model's free strings can outrun any budget."""
    served, store = loaded
    spread_weights(served.model, seed=5)
    fields = [
        {"name": "channel", "type": "enum", "values": ["app", "branch"], "span": True},
        {"name": "speed", "type": "enum", "values": ["fast", "slow"]},
    ]
    card = replace(served.target.card, task="extract", field_schema=fields, decoding="constrained")
    with TestClient(create_app(replace(served, target=replace(served.target, card=card)), store)) as client:
        answers = [chat(client, served.target.id, max_tokens=32, temperature=t) for t in (0.0, 1.0, 1.0)]
    for body in answers:
        text = body["choices"][0]["message"]["content"]  # type: ignore[index]
        extension = body["tuneloop"]
        assert body["choices"][0]["finish_reason"] == "stop", text  # type: ignore[index]
        record = orjson.loads(text)
        assert set(record) <= {"channel", "speed"} and extension["record"] == record  # type: ignore[index]
        assert extension["valid"] is True  # type: ignore[index]
        kinds = [p["kind"] for p in extension["problems"]]  # type: ignore[index]
        assert kinds == (["not_in_text"] if "channel" in record else [])  # ASK names no channel
    free = replace(card, decoding="free")
    with TestClient(create_app(replace(served, target=replace(served.target, card=free)), store)) as client:
        body = chat(client, served.target.id, max_tokens=8)
    assert body["tuneloop"]["valid"] is False  # type: ignore[index]  # free, it writes no JSON
    assert body["tuneloop"]["problems"][0]["kind"] == "not_json"  # type: ignore[index]


def test_the_log_keeps_redacted_texts_when_the_spec_asks(loaded: tuple[ServedModel, Store]) -> None:
    served, store = loaded
    project = served.target.project.model_copy(update={"serving": ServingSpec(redact_pii=True)})
    redacting = replace(served, target=replace(served.target, project=project))
    with TestClient(create_app(redacting, store)) as client:
        rid = chat(client, served.target.id)["id"]
        plain_id = None
    with TestClient(create_app(served, store)) as client:
        plain_id = chat(client, served.target.id)["id"]
    with store.read() as session:
        rows = {r.response_id: r for r in session.scalars(select(ServedRequest))}
    redacted, plain = rows[str(rid)], rows[str(plain_id)]
    assert redacted.redacted and "jane.doe@example.com" not in str(redacted.request)
    assert "[EMAIL]" in redacted.request["messages"][0]["content"]
    assert not plain.redacted and plain.request["messages"][0]["content"] == ASK[0]["content"]


def test_a_run_without_a_model_or_a_model_without_a_project_is_refused(tmp_path: Path) -> None:
    from tuneloop.errors import TuneloopError

    with pytest.raises(TuneloopError, match="no such run or model directory"):
        resolve_target(tmp_path / "missing")
    with pytest.raises(TuneloopError, match=r"no tuneloop_task\.json"):
        resolve_target(tmp_path)
