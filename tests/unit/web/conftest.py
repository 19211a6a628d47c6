"""A small real project served by the web app in-process (FastAPI's TestClient), on SQLite.

The store rules themselves are tested on both engines in tests/unit/annotate; here the question is
what the HTTP layer lets through, so one engine is enough and keeps these tests fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tuneloop.annotate.project import (
    import_from_spec,
    operator,
    project_store,
    publish_spec_guidelines,
    task_schema,
)
from tuneloop.annotate.store import add_label_schema, add_user, import_external_items, import_model_outputs
from tuneloop.annotate.store.accounts import set_password
from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.items import ExternalItem, ModelOutput
from tuneloop.annotate.store.models import OUTPUT_REVIEW
from tuneloop.spec import load_spec
from tuneloop.web.app import create_app
from tuneloop.web.security import COOKIE

PASSWORD = "correct horse battery"
PEOPLE = {"boss": "admin", "ann": "annotator", "bob": "annotator", "rev": "reviewer", "cid": "reviewer"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class WebProject:
    path: Path
    store: Store
    item_ids: list[int]

    def client(
        self, base_url: str = "http://testserver", address: str = "testclient", **app: Any
    ) -> TestClient:
        """A browser at `address` (what the login limits count) on the app made with `app` options."""
        return TestClient(
            create_app(self.path, **app), base_url=base_url, follow_redirects=False, client=(address, 50000)
        )


def make_web_project(
    make_project: Callable[..., Path],
    texts: list[str] | None = None,
    from_data: bool = False,
    model_outputs: bool = False,
    **annotation: Any,
) -> WebProject:
    """Users of every role (password `PASSWORD`) and six items: `texts`, or with `from_data` the
    first rows of the project's data (what an export to a DatasetVersion needs), or with
    `model_outputs` six answers of a model to review (`output_review` items)."""
    settings = {"overlap": 2, "gate": {"alpha": 0.0}} | annotation
    project = make_project(rows=40, labels=5, annotation=settings)
    spec = load_spec(project)
    store = project_store(spec)
    with store.begin() as session:
        by = operator(session)
        publish_spec_guidelines(session, spec, by)
        schema = task_schema(session, spec, by)
        for name, role in PEOPLE.items():
            set_password(session, add_user(session, name, role, by=by), PASSWORD, by=by)
        if model_outputs:
            review = add_label_schema(session, "output-review", OUTPUT_REVIEW, by=by)
            outputs = [
                ModelOutput(str(i), f"message {i} -> card_arrival", "m", "run-001", "task") for i in range(6)
            ]
            items = import_model_outputs(session, outputs, review, by=by)
        elif from_data:
            items = import_from_spec(session, spec, "train", 6, by)[1]
        else:
            texts = texts or [f"my card number {i} has not arrived yet" for i in range(6)]
            items = import_external_items(
                session, [ExternalItem(f"web:{i}", t) for i, t in enumerate(texts)], schema
            )
        ids = [item.id for item in items]
    return WebProject(project, store, ids)


@pytest.fixture
def web_project(make_project: Callable[..., Path]) -> WebProject:
    return make_web_project(make_project)


@pytest.fixture
def client(web_project: WebProject) -> Iterator[TestClient]:
    with web_project.client() as opened:
        yield opened


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    match = CSRF.search(page.text)
    assert match is not None, page.text
    return match.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_of(client)})


def signed_in(project: WebProject, name: str, address: str = "testclient") -> TestClient:
    client = project.client(address=address)
    assert login(client, name).status_code == 303
    return client


def labels(client: TestClient) -> list[str]:
    return re.findall(r'name="label" id="label-\d+" value="([^"]+)"', client.get("/annotate").text)


def api_next(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/next")
    assert response.status_code == 200, response.text
    return response.json()


def api_post(client: TestClient, path: str, body: dict[str, Any], token: str) -> Any:
    return client.post(path, json=body, headers={"X-CSRF-Token": token})


def plant_cookie(client: TestClient, value: str) -> None:
    """Replace the client's session cookie with `value` (a stolen, planted or forged one)."""
    client.cookies.clear()
    client.cookies.set(COOKIE, value, domain="testserver.local")


def api_submit(
    client: TestClient, item_id: int, request_id: str, token: str, label: str = "card_arrival"
) -> Any:
    return api_post(
        client, "/api/submit", {"item_id": item_id, "label": label, "request_id": request_id}, token
    )
