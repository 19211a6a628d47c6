"""Extraction items (a fields schema) in a real browser: a span selected in the text by mouse or
keyboard fills a field by its key or by its "← selection" button, a key with nothing selected goes to the
field's input, Enter submits; two annotators who differ on one field send the item to adjudication,
where that field starts empty and marked disputed, the agreed ones filled, and the record decided
there is the gold label."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page
from sqlalchemy import select

from tests.browser.conftest import serve, shot, sign_in_with_keys
from tests.browser.test_flow import PASSWORD, _project
from tuneloop.annotate.project import operator, project_store, publish_spec_guidelines
from tuneloop.annotate.store import add_label_schema, import_external_items
from tuneloop.annotate.store.items import ExternalItem
from tuneloop.annotate.store.models import Adjudication, Annotation, User
from tuneloop.spec import load_spec

TEXT = "Barclays took 1,250 pounds in the app"
FIELDS = [
    {"name": "company", "type": "string", "span": True},
    {"name": "amount", "type": "number", "span": True},
    {"name": "channel", "type": "enum", "values": ["app", "branch"], "required": True},
]


def _select(page: Page, start: int, length: int) -> None:
    """Select `length` characters from `start` of the item's text with the keyboard alone."""
    page.keyboard.press("Control+Home")
    for _ in range(start):
        page.keyboard.press("ArrowRight")
    for _ in range(length):
        page.keyboard.press("Shift+ArrowRight")


def _text_focused(page: Page) -> None:
    page.wait_for_function("document.activeElement && document.activeElement.id === 'item-text'")


def test_fields_by_selection_and_keys_then_adjudicated_field_by_field(
    browser: Browser, tmp_path: Path
) -> None:
    project = _project(tmp_path / "fields", 0, {"ann": "annotator", "bob": "annotator", "rev": "reviewer"})
    spec = load_spec(project)
    store = project_store(spec)
    with store.begin() as session:
        publish_spec_guidelines(session, spec, operator(session))
        schema = add_label_schema(session, "slots", "fields", field_schema=FIELDS)
        (item,) = import_external_items(session, [ExternalItem("t:1", TEXT)], schema)
        item_id = item.id
    for site in serve(project):
        page = browser.new_page()
        sign_in_with_keys(page, site, "ann", PASSWORD)
        _text_focused(page)
        box = page.locator("#item-text").bounding_box()
        assert box is not None
        page.mouse.dblclick(box["x"] + 30, box["y"] + 22)  # the mouse selects the first word
        assert page.evaluate("document.getSelection().toString()") == "Barclays"
        page.keyboard.press("1")
        _select(page, 14, 5)  # "1,250" by the keyboard, taken with the field's button
        page.click('.field[data-field="amount"] .take-selection')
        page.locator("#item-text").focus()
        page.keyboard.press("x")  # the text takes no edits
        page.keyboard.press("Control+Home")  # collapses the selection: the key goes to the field
        page.keyboard.press("3")
        page.wait_for_function("document.activeElement && document.activeElement.id === 'answer-channel'")
        page.select_option("#answer-channel", "app")
        page.keyboard.press("Escape")
        _text_focused(page)
        assert page.input_value("#answer-company") == "Barclays"
        assert page.input_value("#answer-amount") == "1,250"
        assert page.input_value("#item-text") == TEXT
        shot(page, "16-fields")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Nothing left to annotate" in page.content()
        page.close()

        page = browser.new_page()
        sign_in_with_keys(page, site, "bob", PASSWORD)
        _text_focused(page)
        _select(page, 0, 8)
        page.keyboard.press("1")
        page.locator("#answer-channel").select_option("app")
        page.keyboard.press("Escape")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.close()

        page = browser.new_page()
        sign_in_with_keys(page, site, "rev", PASSWORD)
        page.goto(f"{site}/adjudicate")
        amount = page.locator('#gold-fields .field[data-field="amount"]')
        assert "disputed" in amount.inner_text() and "ann: 1250" in amount.inner_text().replace("“", "")
        assert page.input_value("#gold-amount") == ""
        assert page.input_value("#gold-company") == "Barclays"
        page.fill("#gold-amount", "1250")
        page.fill("#note", "the text says 1,250")
        shot(page, "17-fields-adjudicate")
        with page.expect_navigation():
            page.click("#adjudicate-form button[type=submit]")
        assert "No disagreements to decide" in page.content()
    with store.begin() as session:
        given = {
            name: label
            for name, label in session.execute(
                select(User.name, Annotation.label).join(User, User.id == Annotation.annotator_id)
            )
        }
        gold = session.scalar(select(Adjudication.label).where(Adjudication.item_id == item_id))
    assert given == {
        "ann": {"company": "Barclays", "amount": 1250, "channel": "app"},
        "bob": {"company": "Barclays", "channel": "app"},
    }
    assert gold == {"company": "Barclays", "amount": 1250, "channel": "app"}
    store.close()
