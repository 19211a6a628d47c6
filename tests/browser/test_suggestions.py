"""Suggestions in a real browser, by keyboard only: the page shows the model's suggestion with its
confidence, `y` takes it (a label picked, or exactly a set's labels ticked), Enter submits, and the
stored answer is the suggestion, recorded as shown."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser
from sqlalchemy import select
from typer.testing import CliRunner

from tests.browser.conftest import focused_on, serve, shot, sign_in_with_keys
from tests.browser.test_flow import PASSWORD
from tests.conftest import build_project
from tuneloop.annotate.project import operator, project_store
from tuneloop.annotate.store import add_label_schema, import_external_items
from tuneloop.annotate.store.items import ExternalItem
from tuneloop.annotate.store.models import Annotation, Item
from tuneloop.annotate.store.suggestions import NewSuggestion, replace_suggestions
from tuneloop.cli import app
from tuneloop.spec import load_spec

runner = CliRunner()


def _cli(*args: str, stdin: str | None = None) -> None:
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, result.output


def test_y_takes_the_suggestion_and_enter_submits_it(browser: Browser, tmp_path: Path) -> None:
    annotation = {"overlap": 2, "gate": {"alpha": 0.0}, "suggestions": True}
    project = build_project(tmp_path / "suggest", rows=80, labels=4, annotation=annotation)
    _cli("annotate", "import", str(project), "--limit", "1")
    _cli("assist", "suggest", str(project))
    _cli(
        "users",
        "add",
        "ann",
        "--project",
        str(project),
        "--role",
        "annotator",
        "--password-stdin",
        stdin=PASSWORD,
    )
    store = project_store(load_spec(project))
    with store.begin() as session:  # a label-set item beside it, suggested two of its labels
        schema = add_label_schema(
            session, "modules", "multi_label", ["card", "fees", "limits"], bounds=(0, 3)
        )
        (multi,) = import_external_items(session, [ExternalItem("m:1", "why was I charged twice?")], schema)
        probs = {"card": 0.91, "fees": 0.12, "limits": 0.77}
        replace_suggestions(
            session,
            schema,
            [NewSuggestion(multi.id, ["card", "limits"], 0.62, probs)],
            "m",
            "v",
            by=operator(session),
        )
        suggested = {i.id: i.suggestion_label for i in session.scalars(select(Item))}
    for site in serve(project):
        page = browser.new_page()
        sign_in_with_keys(page, site, "ann", PASSWORD)
        focused_on(page, "label")
        shown = page.locator("#suggestion").inner_text()
        assert "Model suggestion:" in shown and "% confident" in shown
        shot(page, "15-suggestion")
        page.keyboard.press("y")
        picked = page.locator('#labels input[name="label"]:checked').evaluate_all(
            "els => els.map(e => e.value)"
        )
        first = next(iter(suggested))
        assert picked == [suggested[first]]
        with page.expect_navigation():
            page.keyboard.press("Enter")
        focused_on(page, "labels")
        assert "card 91%, limits 77%" in page.locator("#suggestion").inner_text()
        page.keyboard.press("2")  # fees ticked by hand first; y sets exactly the suggested set
        page.keyboard.press("y")
        assert page.locator("#labels input:checked").evaluate_all("els => els.map(e => e.value)") == [
            "card",
            "limits",
        ]
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Nothing left to annotate" in page.content()
    with store.begin() as session:
        stored = {a.item_id: (a.label, a.suggestion_shown) for a in session.scalars(select(Annotation))}
    store.close()
    assert stored == {item: (label, True) for item, label in suggested.items()}
