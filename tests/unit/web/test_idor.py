"""Authorisation on every route: ids changed in the URL, the API or a form field reveal nothing."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import build_project
from tests.unit.web.conftest import (
    WebProject,
    api_next,
    api_post,
    api_submit,
    csrf_of,
    make_web_project,
    plant_cookie,
    signed_in,
)
from tuneloop.web.security import COOKIE


def test_an_annotator_cannot_read_another_annotators_answers(web_project: WebProject) -> None:
    ann, bob = signed_in(web_project, "ann"), signed_in(web_project, "bob")
    first = api_next(ann)
    assert api_submit(ann, first["item"]["id"], "ann-00001", first["csrf_token"]).status_code == 200
    shared = api_next(bob)["item"]["id"]  # bob gets the same open item (k = 2)
    assert shared == first["item"]["id"]
    seen = bob.get(f"/api/items/{shared}").json()
    assert seen["answers"] == []  # blind: ann's answer is hidden while the item is open
    assert "card_arrival" not in bob.get(f"/items/{shared}").text


def test_an_annotator_cannot_open_items_not_assigned_to_them(web_project: WebProject) -> None:
    ann = signed_in(web_project, "ann")
    mine = api_next(ann)["item"]["id"]
    for other in [i for i in web_project.item_ids if i != mine] + [99999]:
        assert ann.get(f"/api/items/{other}").status_code == 404
        assert ann.get(f"/items/{other}").status_code == 404


def test_an_annotator_cannot_answer_skip_or_undo_through_foreign_ids(web_project: WebProject) -> None:
    ann, bob = signed_in(web_project, "ann"), signed_in(web_project, "bob")
    bob_next = api_next(bob)
    bob_item = bob_next["item"]["id"]
    answer = api_submit(bob, bob_item, "bob-00001", bob_next["csrf_token"])
    ann_next = api_next(ann)
    token = ann_next["csrf_token"]
    unassigned = next(i for i in web_project.item_ids if i not in (bob_item, ann_next["item"]["id"]))
    assert api_submit(ann, unassigned, "ann-00002", token).status_code == 404
    assert api_post(ann, "/api/skip", {"item_id": unassigned, "reason": "x"}, token).status_code == 404
    undo = api_post(ann, "/api/undo", {"annotation_id": answer.json()["annotation_id"]}, token)
    assert undo.status_code == 403
    replay = api_submit(ann, ann_next["item"]["id"], "bob-00001", token)
    assert replay.status_code == 403  # another user's request id is not a way in
    form = {"csrf_token": csrf_of(ann, "/annotate"), "annotation_id": str(answer.json()["annotation_id"])}
    assert ann.post("/annotate/undo", data=form).status_code == 403
    assert bob.get(f"/api/items/{bob_item}").json()["answers"][0]["label"] == "card_arrival"  # untouched


def test_an_annotator_cannot_reach_admin_review_or_adjudication(web_project: WebProject) -> None:
    ann = signed_in(web_project, "ann")
    token = csrf_of(ann, "/annotate")
    for path in ("/admin", "/review", "/adjudicate"):
        assert ann.get(path).status_code == 403
    assert ann.post("/admin/guidelines", data={"csrf_token": token, "markdown": "# mine"}).status_code == 403
    assert ann.post("/admin/export", data={"csrf_token": token}).status_code == 403
    assert ann.post("/review/1", data={"csrf_token": token, "verdict": "accept"}).status_code == 403
    assert ann.post("/adjudicate/1", data={"csrf_token": token, "label": "card_arrival"}).status_code == 403
    assert ann.get("/admin").status_code == 403
    assert signed_in(web_project, "rev").get("/admin").status_code == 403


def test_signed_out_visitors_get_nothing(client: TestClient) -> None:
    for path in ("/annotate", "/admin", "/review", "/adjudicate", "/items/1"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/api/next").status_code == 401 and client.get("/api/items/1").status_code == 401


def test_a_reviewer_cannot_review_an_item_they_annotated(web_project: WebProject) -> None:
    rev, ann = signed_in(web_project, "rev"), signed_in(web_project, "ann")
    for person in (rev, ann):  # both answer the first item alike: it closes, agreed
        step = api_next(person)
        api_post(
            person,
            "/api/submit",
            {"item_id": step["item"]["id"], "label": "card_arrival", "request_id": f"r-{id(person)}"},
            step["csrf_token"],
        )
    answers = rev.get(f"/api/items/{web_project.item_ids[0]}").json()["answers"]
    assert len(answers) == 2
    assert "Nothing to review" in rev.get("/review").text  # not offered to them
    token = csrf_of(rev, "/review")
    for answer in answers:
        response = rev.post(f"/review/{answer['id']}", data={"csrf_token": token, "verdict": "accept"})
        assert response.status_code == 403 and "cannot review" in response.text
    cid = signed_in(web_project, "cid")  # another reviewer may
    token = csrf_of(cid, "/review")
    assert (
        cid.post(f"/review/{answers[0]['id']}", data={"csrf_token": token, "verdict": "accept"}).status_code
        == 303
    )


def test_another_projects_items_and_sessions_do_not_carry_over(
    web_project: WebProject, tmp_path: Path
) -> None:
    texts = [f"other project item {i}" for i in range(12)]
    other = make_web_project(lambda **kw: build_project(tmp_path / "other", **kw), texts=texts)
    there = signed_in(other, "ann")
    far = other.item_ids[-1]  # an id that exists in the other project's store only
    assert far not in web_project.item_ids
    here = signed_in(web_project, "ann")
    assert here.get(f"/api/items/{far}").status_code == 404
    plant_cookie(here, there.cookies[COOKIE])  # a session of the other project's server
    assert here.get("/annotate").status_code == 303
