"""Untrusted text stays text in a real browser: item text, guidelines markdown, a user name, a skip
reason and an error message carrying `<script>`, `onerror=` and `javascript:` payloads. No dialog
may open and the sentinel global the payloads set must stay unset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page

from tests.browser.conftest import focused_on, serve, shot, sign_in_with_keys
from tests.conftest import build_project
from tuneloop.annotate.project import operator, project_store, task_schema
from tuneloop.annotate.store import add_user, import_external_items, publish_guidelines
from tuneloop.annotate.store.accounts import set_password
from tuneloop.annotate.store.items import ExternalItem
from tuneloop.spec import load_spec

PASSWORD = "a long enough password"
SCRIPT = "<script>window.__xss = 'script'; alert('script')</script>"
ONERROR = "<img src=x onerror=\"window.__xss = 'onerror'; alert('onerror')\">"
JS_LINK = "<a href=\"javascript:window.__xss = 'link'; alert('link')\">click me</a>"
GUIDELINES = f"# Rules\n\n{SCRIPT}\n\n{ONERROR}\n\n[click me](javascript:window.__xss='md';alert('md'))\n"
EVIL_NAME = "<img src=x onerror=alert('name')>"


@pytest.fixture
def hostile_site(tmp_path: Path) -> Iterator[str]:
    project = build_project(tmp_path / "xss", rows=40, labels=5, annotation={"overlap": 2})
    spec = load_spec(project)
    with project_store(spec).begin() as session:
        by = operator(session)
        publish_guidelines(session, GUIDELINES, by)
        schema = task_schema(session, spec, by)
        texts = [SCRIPT, ONERROR, JS_LINK, f"{SCRIPT}{ONERROR}{JS_LINK}"]
        import_external_items(session, [ExternalItem(f"xss:{i}", t) for i, t in enumerate(texts)], schema)
        for name, role in ((EVIL_NAME, "annotator"), ("boss", "admin")):
            set_password(session, add_user(session, name, role, by=by), PASSWORD, by=by)
    yield from serve(project)


def _assert_inert(page: Page, dialogs: list[str]) -> None:
    assert dialogs == []
    assert page.evaluate("window.__xss") is None
    assert page.locator("main a", has_text="click me").count() == 0


def test_payloads_render_as_text_and_never_run(browser: Browser, hostile_site: str) -> None:
    page = browser.new_page()
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    sign_in_with_keys(page, hostile_site, EVIL_NAME, PASSWORD)
    assert page.locator("#who").inner_text() == EVIL_NAME
    assert page.locator("#item-text").inner_text() == SCRIPT
    assert "<script>" in page.locator("#guidelines").inner_text()
    assert "click me" in page.locator("#guidelines").inner_text()
    shot(page, "10-xss-annotate")
    _assert_inert(page, dialogs)

    for _ in range(3):  # the other payload items, one by one
        focused_on(page, "label")
        page.keyboard.press("1")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        _assert_inert(page, dialogs)
    assert page.locator("#item-text").inner_text() == f"{SCRIPT}{ONERROR}{JS_LINK}"

    # An error message that repeats the input: a label forged in the form comes back escaped.
    page.evaluate(
        "html => { const r = document.querySelector('#label-1'); r.value = html; r.checked = true; }", SCRIPT
    )
    with page.expect_navigation():
        page.locator("#answer-form").evaluate("form => form.requestSubmit()")
    assert "not one of the single_label labels" in page.locator("#error-message").inner_text()
    assert SCRIPT in page.locator("#error-message").inner_text()
    shot(page, "11-xss-error-message")
    _assert_inert(page, dialogs)

    page.goto(f"{hostile_site}/annotate")
    focused_on(page, "label")
    page.keyboard.press("s")
    page.keyboard.type(ONERROR)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _assert_inert(page, dialogs)

    page.goto(f"{hostile_site}/items/1")
    assert page.locator(".item-text").inner_text() == SCRIPT
    _assert_inert(page, dialogs)

    sign_in_with_keys(page, hostile_site, "boss", PASSWORD)
    assert EVIL_NAME in page.locator("#progress-table").inner_text()
    assert ONERROR in page.locator("#skips").inner_text()
    shot(page, "12-xss-dashboard")
    _assert_inert(page, dialogs)
