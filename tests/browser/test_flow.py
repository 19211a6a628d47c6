"""The issue's end-to-end flow in a real browser: an admin adds users, two annotators label five
items each with the keyboard only, their disagreement reaches adjudication, a reviewer decides it,
and the admin sees the agreement on the dashboard. Plus: 20 items by keyboard, timed (printed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from typer.testing import CliRunner

from tests.browser.conftest import focused_on, serve, shot, sign_in_with_keys
from tests.conftest import build_project
from tuneloop.annotate.project import operator, project_store, publish_spec_guidelines
from tuneloop.annotate.store import add_label_schema, import_model_outputs
from tuneloop.annotate.store.items import ModelOutput
from tuneloop.annotate.store.models import OUTPUT_REVIEW, Annotation
from tuneloop.cli import app
from tuneloop.spec import load_spec

PASSWORD = "a long enough password"
runner = CliRunner()


def _cli(*args: str, stdin: str | None = None) -> None:
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, result.output


def _project(path: Path, items: int, people: dict[str, str]) -> Path:
    """A project whose admin (the CLI) imported `items` rows (if any) and added `people` with passwords."""
    project = build_project(path, rows=60, labels=5, annotation={"overlap": 2, "gate": {"alpha": 0.0}})
    if items:
        _cli("annotate", "import", str(project), "--limit", str(items))
    for name, role in people.items():
        _cli(
            "users",
            "add",
            name,
            "--project",
            str(project),
            "--role",
            role,
            "--password-stdin",
            stdin=PASSWORD,
        )
    return project


@pytest.fixture
def flow_site(tmp_path: Path) -> Iterator[str]:
    people = {"boss": "admin", "ann": "annotator", "bob": "annotator", "rev": "reviewer"}
    yield from serve(_project(tmp_path / "flow", 6, people))


def _answer(page: Page, key: str) -> str:
    """Pick a label with `key` (a digit) and submit with Enter; returns the item's text."""
    focused_on(page, "label")
    text = page.locator("#item-text").inner_text()
    page.keyboard.press(key)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return text


def test_two_annotators_a_dispute_an_adjudication_and_the_dashboard(browser: Browser, flow_site: str) -> None:
    ann = browser.new_page()
    sign_in_with_keys(ann, flow_site, "ann", PASSWORD)
    assert ann.url.endswith("/annotate")
    labels = ann.locator('#labels input[name="label"]').evaluate_all("els => els.map(e => e.value)")
    shot(ann, "01-annotate")
    focused_on(ann, "label")
    ann.keyboard.press("?")
    assert ann.locator("#help-dialog").is_visible()
    shot(ann, "02-keyboard-help")
    ann.keyboard.press("Escape")
    first = _answer(ann, "1")
    focused_on(ann, "label")
    with ann.expect_navigation():
        ann.keyboard.press("u")  # undo: the first item comes back
    assert ann.locator("#item-text").inner_text() == first
    for _ in range(5):
        _answer(ann, "1")
    assert "Today: 5 answered" in ann.locator("#progress").inner_text()

    bob = browser.new_page()
    sign_in_with_keys(bob, flow_site, "bob", PASSWORD)
    for _ in range(4):
        _answer(bob, "1")
    focused_on(bob, "label")
    bob.keyboard.press("/")  # type-ahead: find the second label by name
    bob.keyboard.type(labels[1][:6])
    shot(bob, "03-type-ahead")
    with bob.expect_navigation():
        bob.keyboard.press("Enter")
    focused_on(bob, "label")
    bob.keyboard.press("s")
    assert bob.locator("#skip-dialog").is_visible()
    bob.keyboard.type("not a banking question")
    shot(bob, "04-skip-reason")
    with bob.expect_navigation():
        bob.keyboard.press("Enter")
    assert "Today: 5 answered" in bob.locator("#progress").inner_text()
    shot(bob, "05-annotate-after-skip")

    rev = browser.new_page()
    sign_in_with_keys(rev, flow_site, "rev", PASSWORD)
    shot(rev, "06-review-queue")
    rev.goto(f"{flow_site}/adjudicate")
    assert "1 disputed item(s)" in rev.content()
    cells = rev.locator("#answers td").all_inner_texts()
    assert sorted(cells) == sorted([labels[0], labels[1]])
    shot(rev, "07-adjudicate")
    rev.select_option("#gold", labels[1])
    rev.fill("#note", "the customer asks about the second intent")
    with rev.expect_navigation():
        rev.get_by_role("button", name="Set the gold label").click()
    assert "No disagreements" in rev.content()

    boss = browser.new_page()
    sign_in_with_keys(boss, flow_site, "boss", PASSWORD)
    assert boss.url.endswith("/admin")
    assert "Krippendorff's alpha" in boss.locator("#alpha").inner_text()
    assert (
        boss.locator("img[alt='Alpha per label with 95% intervals']").evaluate("img => img.naturalWidth") > 0
    )
    assert "not a banking question" in boss.locator("#skips").inner_text()
    shot(boss, "08-dashboard")
    boss.goto(f"{flow_site}/annotate")
    shot(boss, "09-error-forbidden")
    boss.goto(f"{flow_site}/login")
    shot(boss, "00-login")


def test_twenty_items_with_the_keyboard(browser: Browser, tmp_path: Path) -> None:
    project = _project(tmp_path / "speed", 22, {"ann": "annotator"})
    for site in serve(project):
        page = browser.new_page()
        sign_in_with_keys(page, site, "ann", PASSWORD)
        started = time.perf_counter()
        texts = [_answer(page, str(1 + n % 3)) for n in range(20)]
        seconds = time.perf_counter() - started
        per_item = seconds / 20 * 1000
        print(f"\n20 items with the keyboard in {seconds:.1f} s ({per_item:.0f} ms per item, no think time)")
        assert len(set(texts)) == 20
        assert "Today: 20 answered" in page.locator("#progress").inner_text()


def test_a_model_output_is_reviewed_with_the_keyboard(browser: Browser, tmp_path: Path) -> None:
    """`tuneloop review sample` puts model outputs in the store; in the browser they get the review
    form: a digit rates, `n` marks the answer incorrect, Tab reaches the correction and Submit."""
    project = _project(tmp_path / "review", 0, {"ann": "annotator"})
    spec = load_spec(project)
    store = project_store(spec)
    with store.begin() as session:
        publish_spec_guidelines(session, spec, operator(session))
        schema = add_label_schema(session, "output-review", OUTPUT_REVIEW, by=operator(session))
        output = ModelOutput("7", "I still have not got my new card -> card_linking", "m", "run-001", "task")
        import_model_outputs(session, [output], schema)
    for site in serve(project):
        page = browser.new_page()
        sign_in_with_keys(page, site, "ann", PASSWORD)
        focused_on(page, "rating")
        page.keyboard.press("2")
        page.keyboard.press("n")
        page.keyboard.press("Tab")
        page.keyboard.type("card_arrival")
        shot(page, "13-output-review")
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Nothing left to annotate" in page.content()
    with store.begin() as session:
        assert session.scalars(select(Annotation.label)).all() == [
            {"rating": 2, "correct": False, "corrected": "card_arrival"}
        ]
    store.close()
