"""Multi-label items in a real browser, by keyboard only: a label's key ticks and unticks it,
type-ahead with Enter ticks the first match, Enter submits, and the store holds the set."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser
from sqlalchemy import select

from tests.browser.conftest import focused_on, serve, shot, sign_in_with_keys
from tests.browser.test_flow import PASSWORD, _project
from tuneloop.annotate.project import operator, project_store, publish_spec_guidelines
from tuneloop.annotate.store import add_label_schema, import_external_items
from tuneloop.annotate.store.items import ExternalItem
from tuneloop.annotate.store.models import Annotation
from tuneloop.spec import load_spec

# 12 labels: the first nine take digits, the rest letters (`a`, `b`, `c`).
LABELS = [f"module_{chr(ord('a') + i)}" for i in range(12)]


def test_label_sets_by_keyboard(browser: Browser, tmp_path: Path) -> None:
    project = _project(tmp_path / "multi", 0, {"ann": "annotator"})
    spec = load_spec(project)
    store = project_store(spec)
    with store.begin() as session:
        publish_spec_guidelines(session, spec, operator(session))
        schema = add_label_schema(session, "modules", "multi_label", LABELS, bounds=(0, 3))
        items = import_external_items(
            session,
            [ExternalItem(f"m:{i}", f"why was my card payment {i} declined?") for i in range(2)],
            schema,
        )
        first, second = (item.id for item in items)
    for site in serve(project):
        page = browser.new_page()
        sign_in_with_keys(page, site, "ann", PASSWORD)
        focused_on(page, "labels")
        page.keyboard.press("2")  # module_b on
        page.keyboard.press("a")  # module_j (the tenth label) on
        page.keyboard.press("2")  # module_b off again
        assert page.locator("#labels input:checked").evaluate_all("els => els.map(e => e.value)") == [
            "module_j"
        ]
        shot(page, "14-multilabel")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        focused_on(page, "labels")
        page.keyboard.press("/")  # type-ahead: Enter ticks the first match and clears the filter
        page.keyboard.type("module_l")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.keyboard.press("1")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Nothing left to annotate" in page.content()
    with store.begin() as session:
        stored = {
            item: label for item, label in session.execute(select(Annotation.item_id, Annotation.label))
        }
    assert stored == {first: ["module_j"], second: ["module_a", "module_l"]}
    store.close()
