"""The label-issue queue in a real browser, by keyboard only: `c` sets the preselected suggested
label, `k` keeps the given one, and each decision is stored as the item's adjudication."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser
from sqlalchemy import select
from typer.testing import CliRunner

from tests.browser.conftest import serve, shot, sign_in_with_keys
from tests.browser.test_flow import PASSWORD
from tests.conftest import build_project
from tuneloop.annotate.project import project_store
from tuneloop.annotate.store.label_issues import queue_issue
from tuneloop.annotate.store.models import Adjudication, Item, LabelIssue
from tuneloop.cli import app
from tuneloop.spec import load_spec

runner = CliRunner()


def test_c_sets_the_suggested_label_and_k_keeps_the_given_one(browser: Browser, tmp_path: Path) -> None:
    project = build_project(tmp_path / "issues", rows=40, labels=3, annotation={"overlap": 2})
    for args, stdin in (
        (["annotate", "import", str(project), "--limit", "2"], None),
        (
            ["users", "add", "rev", "--project", str(project), "--role", "reviewer", "--password-stdin"],
            PASSWORD,
        ),
    ):
        result = runner.invoke(app, args, input=stdin)
        assert result.exit_code == 0, result.output
    store = project_store(load_spec(project))
    with store.begin() as session:
        items = list(session.scalars(select(Item).order_by(Item.id)))
        given, other = items[0].label_schema.labels[:2]
        for n, item in enumerate(items):  # the first is the most suspect, so it is shown first
            queue_issue(session, item, "confident_learning", given, other, 0.1 + n)
        ids = [item.id for item in items]
    for site in serve(project):
        page = browser.new_page()
        sign_in_with_keys(page, site, "rev", PASSWORD)
        page.goto(f"{site}/review/issues")
        assert "2 suspect label(s) waiting" in page.content()
        shot(page, "16-label-issue")
        with page.expect_navigation():
            page.keyboard.press("c")
        assert "1 suspect label(s) waiting" in page.content()
        with page.expect_navigation():
            page.keyboard.press("k")
        assert "No suspect labels to review" in page.content()
    with store.read() as session:
        states = [
            s
            for _, s in session.execute(
                select(LabelIssue.item_id, LabelIssue.state).order_by(LabelIssue.item_id)
            )
        ]
        gold = dict(session.execute(select(Adjudication.item_id, Adjudication.label)).all())
    store.close()
    assert states == ["corrected", "kept"]
    assert gold == {ids[0]: other, ids[1]: given}
