"""A multi_label item in the web app: checkboxes with keys, the set stored in schema order, the
schema's bounds refused with a clear message, the undo button, adjudication of sets and the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.unit.web.conftest import WebProject, api_next, api_post, make_web_project, signed_in
from tuneloop.annotate.store import add_label_schema, import_external_items
from tuneloop.annotate.store.items import ExternalItem
from tuneloop.annotate.store.models import Adjudication, Annotation

LABELS = ["card_arrival", "card_linking", "exchange_rate", "lost_card"]


def multi_project(make_project: Callable[..., Path]) -> tuple[WebProject, list[int]]:
    """The web project plus two items of a multi_label schema that takes 1 or 2 labels."""
    project = make_web_project(make_project)
    with project.store.begin() as session:
        schema = add_label_schema(session, "topics", "multi_label", LABELS, bounds=(1, 2))
        items = import_external_items(
            session, [ExternalItem(f"multi:{i}", f"card {i} lost abroad") for i in range(2)], schema
        )
        ids = [item.id for item in items]
    return project, ids


def _field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match is not None, name
    return match.group(1)


def _page_of(client: TestClient, item: int) -> str:
    """Answer single-label items with card_arrival until the queue shows `item`."""
    for _ in range(10):
        page = client.get("/annotate").text
        if _field(page, "item_id") == str(item):
            return page
        form = {k: _field(page, k) for k in ("csrf_token", "item_id", "request_id")} | {
            "label": "card_arrival"
        }
        assert client.post("/annotate/submit", data=form).status_code == 303
    raise AssertionError(f"item {item} never came")


def _submit(client: TestClient, page: str, labels: list[str]) -> int:
    form = {k: _field(page, k) for k in ("csrf_token", "item_id", "request_id")} | {"labels": labels}
    return client.post("/annotate/submit", data=form).status_code


def test_checkboxes_keys_bounds_and_the_stored_set(make_project: Callable[..., Path]) -> None:
    project, (first, _) = multi_project(make_project)
    ann = signed_in(project, "ann")
    page = _page_of(ann, first)
    assert page.count('type="checkbox" name="labels"') == 4 and 'type="radio"' not in page
    assert 'data-key="1"' in page and "<kbd>4</kbd> lost_card" in page
    assert "at least 1, at most 2" in page
    too_many = _submit(ann, page, ["lost_card", "card_arrival", "exchange_rate"])
    assert too_many == 422
    assert (
        "pick at most 2 label(s); this answer has 3"
        in ann.post(
            "/annotate/submit",
            data={k: _field(page, k) for k in ("csrf_token", "item_id", "request_id")}
            | {"labels": LABELS[:3]},
        ).text
    )
    assert _submit(ann, page, []) == 422  # nothing ticked: fewer than min_labels
    assert _submit(ann, page, ["lost_card", "card_arrival"]) == 303
    with project.store.begin() as session:
        stored = session.scalars(select(Annotation.label).where(Annotation.item_id == first)).all()
    assert stored == [["card_arrival", "lost_card"]]  # schema order, whatever order it came in
    assert "card_arrival, lost_card" in ann.get("/annotate").text  # the undo button names the set


def test_a_disputed_set_is_adjudicated_as_a_set(make_project: Callable[..., Path]) -> None:
    project, (first, second) = multi_project(make_project)
    for name, answer in (("ann", ["lost_card"]), ("bob", ["lost_card", "exchange_rate"])):
        client = signed_in(project, name)
        for item in (first, second):
            assert (
                _submit(client, _page_of(client, item), answer if item == first else ["card_linking"]) == 303
            )
    rev = signed_in(project, "rev")
    page = rev.get("/adjudicate").text
    while f'action="/adjudicate/{first}"' not in page:  # single-label disputes first, if any
        item = re.search(r'action="/adjudicate/(\d+)"', page).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": _field(page, "csrf_token"), "label": "card_arrival"}
        assert rev.post(f"/adjudicate/{item}", data=form).status_code == 303
        page = rev.get("/adjudicate").text
    assert "<td>lost_card</td><td>exchange_rate, lost_card</td>" in page
    assert 'name="labels" multiple' in page
    form = {"csrf_token": _field(page, "csrf_token"), "labels": ["lost_card"], "note": "no rate asked"}
    assert rev.post(f"/adjudicate/{first}", data=form).status_code == 303
    with project.store.begin() as session:
        gold = session.scalar(select(Adjudication.label).where(Adjudication.item_id == first))
    assert gold == ["lost_card"]


def test_the_api_says_an_item_takes_a_set_and_takes_one(make_project: Callable[..., Path]) -> None:
    project, (first, _) = multi_project(make_project)
    ann = signed_in(project, "ann")
    _page_of(ann, first)
    step = api_next(ann)
    assert step["item"]["id"] == first and step["item"]["kind"] == "multi_label"
    assert (step["item"]["min_labels"], step["item"]["max_labels"]) == (1, 2)
    body = {"item_id": first, "request_id": "r-multi-1", "label": ["lost_card", "card_linking"]}
    answered = api_post(ann, "/api/submit", body, step["csrf_token"])
    assert answered.status_code == 200 and answered.json()["label"] == ["card_linking", "lost_card"]
