"""A fields item (an extract task) in the web app: one input per field with its key and type,
the record read from the inputs (empty ones left out, a list by lines), the store's refusal shown
with the field's name, a reviewer's correction as a record, and the API's field schema."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.unit.web.conftest import WebProject, api_next, api_post, make_web_project, signed_in
from tuneloop.annotate.store import add_label_schema, import_external_items
from tuneloop.annotate.store.items import ExternalItem
from tuneloop.annotate.store.models import Annotation, Review
from tuneloop.web.context import shown_answer

FIELDS: list[dict[str, Any]] = [
    {"name": "company", "type": "string", "span": True, "description": "who was paid"},
    {"name": "cards", "type": "list", "items": "string", "span": True},
    {"name": "date", "type": "date"},
    {"name": "channel", "type": "enum", "values": ["app", "branch"], "required": True},
]
TEXT = "Paid Barclays with my Visa and my Amex in the app"


def fields_project(make_project: Callable[..., Path]) -> tuple[WebProject, int]:
    project = make_web_project(make_project)
    with project.store.begin() as session:
        schema = add_label_schema(session, "slots", "fields", field_schema=FIELDS)
        (item,) = import_external_items(session, [ExternalItem("f:1", TEXT)], schema)
    return project, item.id


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match is not None, name
    return match.group(1)


def _page_of(client: TestClient, item: int) -> str:
    """Answer the single-label items with their first label until the queue shows `item`."""
    for _ in range(10):
        page = client.get("/annotate").text
        if _hidden(page, "item_id") == str(item):
            return page
        form = {k: _hidden(page, k) for k in ("csrf_token", "item_id", "request_id")}
        label = re.search(r'name="label" id="label-1" value="([^"]*)"', page)
        assert (
            label is not None
            and client.post("/annotate/submit", data=form | {"label": label[1]}).status_code == 303
        )
    raise AssertionError(f"item {item} never came")


def _send(client: TestClient, page: str, fields: dict[str, str]) -> Any:
    form = {k: _hidden(page, k) for k in ("csrf_token", "item_id", "request_id")}
    return client.post("/annotate/submit", data=form | {f"field.{k}": v for k, v in fields.items()})


def test_the_form_has_a_keyed_input_per_field_and_stores_the_record(
    make_project: Callable[..., Path],
) -> None:
    project, item = fields_project(make_project)
    ann = signed_in(project, "ann")
    page = _page_of(ann, item)
    assert 'id="item-text"' in page and 'id="answer-fields"' in page
    assert 'data-field="company" data-key="1"' in page and "who was paid" in page
    assert 'name="field.cards" rows="2"' in page and 'type="date"' in page
    assert '<option value="branch">branch</option>' in page and 'name="label"' not in page
    refused = _send(ann, page, {"company": "HSBC", "channel": "app"})
    assert refused.status_code == 422 and "company: &#39;HSBC&#39; does not occur in the text" in refused.text
    long = _send(ann, page, {"company": "Barclays " * 600, "channel": "app"})  # never cut to fit
    assert long.status_code == 422 and "field company: 5,400 characters, more than the 5,000" in long.text
    missing = _send(ann, page, {"company": "Barclays", "channel": ""})
    assert missing.status_code == 422 and "channel is required and absent" in missing.text
    sent = _send(
        ann, page, {"company": "barclays", "cards": "Visa\n\n amex \n", "date": "", "channel": "app"}
    )
    assert sent.status_code == 303
    with project.store.begin() as session:
        (stored,) = session.scalars(select(Annotation.label).where(Annotation.item_id == item)).all()
    assert stored == {
        "company": "Barclays",
        "cards": ["Visa", "Amex"],
        "channel": "app",
    }  # as the text writes
    assert (
        "company: Barclays; cards: Visa | Amex; channel: app" in ann.get("/annotate").text
    )  # the undo button


def test_a_reviewer_corrects_a_record_with_the_answer_filled_in(make_project: Callable[..., Path]) -> None:
    project, item = fields_project(make_project)
    for name in ("ann", "bob"):
        client = signed_in(project, name)
        assert (
            _send(client, _page_of(client, item), {"company": "Barclays", "channel": "app"}).status_code
            == 303
        )
    rev = signed_in(project, "rev")
    page = rev.get("/review").text
    while TEXT not in page:  # the single-label items first, if any
        answer = re.search(r'action="/review/(\d+)"', page)
        assert answer is not None
        rev.post(
            f"/review/{answer[1]}", data={"csrf_token": _hidden(page, "csrf_token"), "verdict": "accept"}
        )
        page = rev.get("/review").text
    answer_id = re.search(r'action="/review/(\d+)"', page)[1]  # type: ignore[index]
    assert f'id="label-{answer_id}-company" name="field.company" type="text" value="Barclays"' in page
    assert ": company: Barclays; channel: app</h2>" in page
    form = {"csrf_token": _hidden(page, "csrf_token"), "verdict": "correct", "reason": "the cards are named"}
    fields = {"field.company": "Barclays", "field.cards": "Visa\nAmex", "field.channel": "app"}
    assert rev.post(f"/review/{answer_id}", data=form | fields).status_code == 303
    with project.store.begin() as session:
        correction = session.scalar(select(Review).where(Review.annotation_id == int(answer_id)))
        assert correction is not None and correction.correction is not None
        assert correction.correction.label == {
            "company": "Barclays",
            "cards": ["Visa", "Amex"],
            "channel": "app",
        }


def test_the_api_gives_the_field_schema_and_takes_a_record(make_project: Callable[..., Path]) -> None:
    project, item = fields_project(make_project)
    ann = signed_in(project, "ann")
    _page_of(ann, item)
    step = api_next(ann)
    assert step["item"]["kind"] == "fields" and [f["name"] for f in step["item"]["field_schema"]] == [
        "company",
        "cards",
        "date",
        "channel",
    ]
    bad = api_post(
        ann,
        "/api/submit",
        {"item_id": item, "request_id": "r-fields-0", "label": {"date": "monday"}},
        step["csrf_token"],
    )
    assert bad.status_code == 422 and "date: a date (YYYY-MM-DD) expected" in bad.text
    body = {"item_id": item, "request_id": "r-fields-1", "label": {"channel": "branch", "date": "2026-12-07"}}
    answered = api_post(ann, "/api/submit", body, step["csrf_token"])
    assert answered.status_code == 200 and answered.json()["label"] == {
        "date": "2026-12-07",
        "channel": "branch",
    }


def test_a_record_is_shown_field_by_field_whatever_its_fields_are_named() -> None:
    record = {"rating": "five stars", "cards": ["Visa", "Amex"]}  # `rating` is an output review's key too
    assert shown_answer(record, "fields") == "rating: five stars; cards: Visa | Amex"
    assert shown_answer({}, "fields") == "(no fields)"
