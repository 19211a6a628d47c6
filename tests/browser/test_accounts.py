"""Accounts in a real browser: the login form takes exactly the names the store accepts (a name of
the longest length signs in even when more is typed), and a new password signs the browser out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from typer.testing import CliRunner

from tests.browser.conftest import serve, sign_in_with_keys
from tests.conftest import build_project
from tuneloop.annotate.store.names import NAME_MAX
from tuneloop.cli import app

PASSWORD = "a long enough password"
LONGEST = "x" * NAME_MAX
runner = CliRunner()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    project = build_project(tmp_path / "p", rows=40, labels=5, annotation={"overlap": 2})
    assert runner.invoke(app, ["annotate", "import", str(project), "--limit", "2"]).exit_code == 0
    for name in (LONGEST, "ann"):
        args = ["users", "add", name, "--project", str(project), "--password-stdin"]
        added = runner.invoke(app, args, input=PASSWORD)
        assert added.exit_code == 0, added.output
    for base in serve(project):
        yield project, base


def test_the_longest_name_signs_in_even_when_more_is_typed(browser: Browser, site: tuple[Path, str]) -> None:
    _, base = site
    page = browser.new_page()
    sign_in_with_keys(page, base, LONGEST + "x" * 150, PASSWORD)  # 250 characters typed
    assert page.url.endswith("/annotate"), page.content()[:500]


def test_a_new_password_signs_the_browser_out(browser: Browser, site: tuple[Path, str]) -> None:
    project, base = site
    page = browser.new_page()
    sign_in_with_keys(page, base, "ann", PASSWORD)
    assert page.url.endswith("/annotate")
    args = ["users", "password", "ann", "--project", str(project), "--password-stdin"]
    assert runner.invoke(app, args, input="another long password").exit_code == 0
    page.reload()
    assert page.url.endswith("/login")
