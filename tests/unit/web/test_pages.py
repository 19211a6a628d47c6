"""The pages do their work through the services: annotate, skip, undo, review, adjudicate, dashboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.unit.web.conftest import (
    PASSWORD,
    WebProject,
    api_next,
    api_post,
    csrf_of,
    make_web_project,
    signed_in,
)
from tuneloop.annotate.project import project_store
from tuneloop.annotate.store import add_user
from tuneloop.annotate.store.accounts import set_password
from tuneloop.annotate.store.items import set_suggestions
from tuneloop.annotate.store.models import Annotation, GuidelineVersion, Item
from tuneloop.annotate.store.queue import set_queue_order
from tuneloop.spec import load_spec


def _form(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match is not None, name
    return match.group(1)


def _answer(client: TestClient, label: str) -> tuple[str, str]:
    page = client.get("/annotate").text
    form = {"csrf_token": _form(page, "csrf_token"), "item_id": _form(page, "item_id"), "label": label}
    form["request_id"] = _form(page, "request_id")
    assert client.post("/annotate/submit", data=form).status_code == 303
    return form["item_id"], form["request_id"]


def test_the_queue_shows_the_item_guidelines_labels_and_progress(web_project: WebProject) -> None:
    client = signed_in(web_project, "ann")
    page = client.get("/annotate").text
    assert "my card number 0 has not arrived yet" in page
    assert "Guidelines v1" in page and "<h1>" in page.split('id="guidelines"')[1]  # rendered markdown
    assert 'value="card_arrival"' in page and "<kbd>1</kbd> card_arrival" in page
    assert "Today: <strong>0</strong> answered · <strong>6</strong> remaining" in page
    assert "Model suggestion" not in page  # suggestions are off in this project


def test_submitting_twice_with_one_request_id_records_one_answer(web_project: WebProject) -> None:
    client = signed_in(web_project, "ann")
    page = client.get("/annotate").text
    form = {k: _form(page, k) for k in ("csrf_token", "item_id", "request_id")} | {"label": "card_arrival"}
    assert client.post("/annotate/submit", data=form).status_code == 303
    assert client.post("/annotate/submit", data=form).status_code == 303  # a resent form
    with web_project.store.begin() as session:
        assert session.scalar(select(func.count(Annotation.id))) == 1
    assert "Today: <strong>1</strong> answered · <strong>5</strong> remaining" in client.get("/annotate").text


def test_undo_reopens_the_last_item_and_skip_needs_a_reason(web_project: WebProject) -> None:
    client = signed_in(web_project, "ann")
    first, _ = _answer(client, "card_arrival")
    page = client.get("/annotate").text
    assert f'name="item_id" value="{first}"' not in page and "Undo last answer" in page
    undo = {"csrf_token": _form(page, "csrf_token"), "annotation_id": _form(page, "annotation_id")}
    assert client.post("/annotate/undo", data=undo).status_code == 303
    assert client.post("/annotate/undo", data=undo).status_code == 303  # idempotent
    page = client.get("/annotate").text
    assert _form(page, "item_id") == first  # back to the undone item
    skip = {"csrf_token": _form(page, "csrf_token"), "item_id": first, "reason": "  "}
    assert client.post("/annotate/skip", data=skip).status_code == 409
    assert client.post("/annotate/skip", data=skip | {"reason": "not banking"}).status_code == 303
    assert _form(client.get("/annotate").text, "item_id") != first


def test_suggestions_are_shown_only_when_enabled_and_recorded(make_project: Callable[..., Path]) -> None:
    project = make_web_project(make_project, suggestions=True)
    with project.store.begin() as session:
        set_suggestions(session, {project.item_ids[0]: ("card_arrival", 0.8)})
    client = signed_in(project, "ann")
    page = client.get("/annotate").text
    assert 'id="suggestion"' in page and "card_arrival</strong> (80% confident)" in page
    assert "data-labels='[\"card_arrival\"]'" in page and "<kbd>y</kbd> takes it" in page
    _answer(client, "card_linking")
    assert "Model suggestion" not in client.get("/annotate").text  # item 2 has none
    _answer(client, "card_linking")
    with project.store.begin() as session:
        shown = dict(session.execute(select(Annotation.item_id, Annotation.suggestion_shown)).all())
    assert shown == {project.item_ids[0]: True, project.item_ids[1]: False}


def _close_all_two_items(project: WebProject, answers: dict[str, list[str]]) -> None:
    for name, labels in answers.items():
        client = signed_in(project, name)
        for label in labels:
            _answer(client, label)


def test_review_accepts_or_corrects_with_a_reason(web_project: WebProject) -> None:
    _close_all_two_items(web_project, {"ann": ["card_arrival"], "bob": ["card_arrival"]})
    rev = signed_in(web_project, "rev")
    page = rev.get("/review").text
    assert "1 item(s) waiting" in page and "ann: card_arrival" in page and "bob: card_arrival" in page
    ids = re.findall(r'action="/review/(\d+)"', page)
    token = _form(page, "csrf_token")
    assert rev.post(f"/review/{ids[0]}", data={"csrf_token": token, "verdict": "accept"}).status_code == 303
    no_reason = {"csrf_token": token, "verdict": "correct", "label": "card_linking", "reason": ""}
    assert rev.post(f"/review/{ids[2]}", data=no_reason).status_code == 400
    fixed = rev.post(f"/review/{ids[2]}", data=no_reason | {"reason": "asks about linking"})
    assert fixed.status_code == 303
    assert "Nothing to review" in rev.get("/review").text


def test_the_dashboard_lists_guideline_hints_and_says_what_evidence_is_missing(
    web_project: WebProject,
) -> None:
    board = signed_in(web_project, "boss").get("/admin").text
    assert "Guideline hints" in board and "no evidence of any kind yet" in board
    assert 'id="hints-table"' not in board
    _close_all_two_items(
        web_project, {"ann": ["card_arrival", "card_arrival"], "bob": ["card_linking", "card_arrival"]}
    )
    board = signed_in(web_project, "boss").get("/admin").text
    rows = re.findall(r"<tr><td>(\w+)</td><td class=\"num\">([\d.]+)</td><td class=\"num\">0</td>"
                      r"<td class=\"num\">1</td>", board)  # fmt: skip
    assert sorted(rows) == [("card_arrival", "0.50"), ("card_linking", "0.50")]  # 1 of 2 disputes each
    assert "card_arrival / card_linking (1 items)" in board
    assert "drift: no `tuneloop monitor` check yet" in board


def test_a_disagreement_is_adjudicated_and_the_dashboard_shows_agreement(web_project: WebProject) -> None:
    _close_all_two_items(
        web_project, {"ann": ["card_arrival", "card_arrival"], "bob": ["card_linking", "card_arrival"]}
    )
    rev = signed_in(web_project, "rev")
    page = rev.get("/adjudicate").text
    assert "1 disputed item(s)" in page
    assert re.search(r"<th scope=\"col\">ann</th>\s*<th scope=\"col\">bob</th>", page)
    assert "<td>card_arrival</td><td>card_linking</td>" in page
    item = re.search(r'action="/adjudicate/(\d+)"', page).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": _form(page, "csrf_token"), "label": "card_arrival", "note": "arrival, not linking"}
    assert rev.post(f"/adjudicate/{item}", data=form).status_code == 303
    assert "No disagreements" in rev.get("/adjudicate").text
    board = signed_in(web_project, "boss").get("/admin").text
    assert (
        "over 2 closed items, 2 annotators" in board
        and "Krippendorff's alpha <strong>" in board
        and board.count('src="data:image/png;base64,') == 2
    )
    assert "card_arrival / card_linking" in board
    assert re.search(r"<td>ann</td><td>2</td>", board) and re.search(r"<td>bob</td><td>2</td>", board)


def test_the_admin_publishes_guidelines_and_exports_through_the_gate(
    make_project: Callable[..., Path],
) -> None:
    project = make_web_project(make_project, from_data=True, gate={"alpha": 0.99})
    _close_all_two_items(
        project, {"ann": ["card_arrival", "card_arrival"], "bob": ["card_linking", "card_arrival"]}
    )
    boss = signed_in(project, "boss")
    token = csrf_of(boss, "/admin")
    published = boss.post("/admin/guidelines", data={"csrf_token": token, "markdown": "# v2\r\nNew rules."})
    assert published.status_code == 303 and "Guidelines (version 2)" in boss.get("/admin").text
    with project.store.begin() as session:
        assert (
            session.scalar(select(GuidelineVersion.markdown).where(GuidelineVersion.version == 2))
            == "# v2\nNew rules."
        )
    blocked = boss.post("/admin/export", data={"csrf_token": token})
    assert blocked.status_code == 409 and "below the gate" in blocked.text
    exported = boss.post("/admin/export", data={"csrf_token": token, "override": "pilot <b>round</b>"})
    assert exported.status_code == 200 and "Wrote dataset version" in exported.text
    manifest = orjson.loads(
        next(load_spec(project.path).output_path.glob("annotated/*/manifest.json")).read_bytes()
    )
    assert (
        manifest["annotation"]["override"] == "pilot <b>round</b>"
        and not manifest["annotation"]["gate_passed"]
    )


def test_the_api_claims_submits_and_undoes(web_project: WebProject) -> None:
    client = signed_in(web_project, "ann")
    step = api_next(client)
    assert step["item"]["labels"][0] == "card_arrival"
    body = {"item_id": step["item"]["id"], "label": "card_arrival", "request_id": "api-000001"}
    first = api_post(client, "/api/submit", body, step["csrf_token"]).json()
    again = api_post(client, "/api/submit", body, step["csrf_token"]).json()
    assert first == again
    undone = api_post(client, "/api/undo", {"annotation_id": first["annotation_id"]}, step["csrf_token"])
    assert undone.json() == {"undone": first["annotation_id"], "item_id": step["item"]["id"]}
    assert api_next(client)["item"]["id"] == step["item"]["id"]


def test_the_first_guidelines_are_published_from_the_dashboard(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=20)
    store = project_store(load_spec(project))
    with store.begin() as session:
        set_password(session, add_user(session, "boss", "admin"), PASSWORD)
    boss = signed_in(WebProject(project, store, []), "boss")
    page = boss.get("/admin")
    assert page.status_code == 200 and "Guidelines (none published yet)" in page.text
    form = {"csrf_token": csrf_of(boss, "/admin"), "markdown": "# Intents\nOne per message."}
    assert boss.post("/admin/guidelines", data=form).status_code == 303
    assert "Guidelines (version 1)" in boss.get("/admin").text


def test_a_model_output_gets_the_review_form_and_its_answer_is_stored_as_a_review(
    make_project: Callable[..., Path],
) -> None:
    project = make_web_project(make_project, model_outputs=True)
    ann = signed_in(project, "ann")
    page = ann.get("/annotate").text
    assert 'name="rating"' in page and 'name="correct"' in page and 'name="label"' not in page
    form = {name: _form(page, name) for name in ("csrf_token", "item_id", "request_id")}
    assert ann.post("/annotate/submit", data=form | {"rating": "2"}).status_code == 422  # correct or not?
    answer = form | {"rating": "2", "correct": "no", "corrected": "  card_delivery_estimate "}
    assert ann.post("/annotate/submit", data=answer).status_code == 303
    with project.store.begin() as session:
        stored = session.scalars(select(Annotation.label)).all()
    assert stored == [{"rating": 2, "correct": False, "corrected": "card_delivery_estimate"}]
    shown = "rated 2 of 5, wrong, corrected to: card_delivery_estimate"
    assert f"{shown}) <kbd>u</kbd>" in ann.get("/annotate").text  # the undo button names the answer
    assert f"<td>{shown}</td>" in signed_in(project, "boss").get(f"/items/{form['item_id']}").text


def test_the_page_and_the_api_serve_items_in_the_spec_queue_order(make_project: Callable[..., Path]) -> None:
    project = make_web_project(make_project)
    spec_file = project.path / "tuneloop.yaml"
    spec_file.write_text(spec_file.read_text() + "assist:\n  queue: uncertainty\n")
    ranked = [project.item_ids[4], project.item_ids[1]]
    with project.store.begin() as session:
        item = session.get(Item, ranked[0])
        assert item is not None
        set_queue_order(session, item.label_schema, ranked)
    client = signed_in(project, "ann")
    assert _answer(client, "card_linking")[0] == str(ranked[0])
    assert api_next(signed_in(project, "bob"))["item"]["id"] == ranked[0]
    assert _answer(client, "card_linking")[0] == str(ranked[1])
    assert _answer(client, "card_linking")[0] == str(project.item_ids[0])  # unranked: by id
