"""The label-issue queue in the web app: a reviewer sees the suspect label with its reason, keeps
it or sets another, and the decision is the item's adjudication; annotators have no access."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.unit.web.conftest import WebProject, signed_in
from tuneloop.annotate.store.label_issues import queue_issue
from tuneloop.annotate.store.models import Adjudication, Item, LabelIssue


def _queue(project: WebProject) -> None:
    with project.store.begin() as session:
        for n, item_id in enumerate(project.item_ids[:2]):
            item = session.get(Item, item_id)
            assert item is not None
            queue_issue(session, item, "confident_learning", "card_arrival", "card_linking", 0.1 + n)


def test_a_reviewer_corrects_then_keeps_and_each_decision_is_gold(web_project: WebProject) -> None:
    _queue(web_project)
    rev = signed_in(web_project, "rev")
    page = rev.get("/review/issues").text
    assert "2 suspect label(s) waiting" in page and 'href="/review/issues"' in page
    assert '<dd id="given">card_arrival</dd>' in page and '<dd id="suggested">card_linking</dd>' in page
    assert "confident learning: score 0.100" in page
    assert '<option value="card_linking" selected>' in page  # Enter on the form sets the suggestion
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    first = re.search(r'action="/review/issues/(\d+)"', page).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "verdict": "correct", "label": "card_linking"}
    assert rev.post(f"/review/issues/{first}", data=form).status_code == 303
    page = rev.get("/review/issues").text
    second = re.search(r'action="/review/issues/(\d+)"', page).group(1)  # type: ignore[union-attr]
    assert second != first
    assert (
        rev.post(f"/review/issues/{second}", data={"csrf_token": token, "verdict": "keep"}).status_code == 303
    )
    assert "No suspect labels to review" in rev.get("/review/issues").text
    with web_project.store.read() as session:
        states = dict(session.execute(select(LabelIssue.id, LabelIssue.state)).all())
        gold = dict(session.execute(select(Adjudication.item_id, Adjudication.label)).all())
    assert states == {int(first): "corrected", int(second): "kept"}
    assert gold == {web_project.item_ids[0]: "card_linking", web_project.item_ids[1]: "card_arrival"}


def test_annotators_cannot_open_the_queue(web_project: WebProject) -> None:
    _queue(web_project)
    ann = signed_in(web_project, "ann")
    assert ann.get("/review/issues").status_code == 403
    assert 'href="/review/issues"' not in ann.get("/annotate").text
