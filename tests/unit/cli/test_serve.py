"""`tuneloop serve` is a command with the web app's listening and safety options, and checks the
project (its key file) before it says it serves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()


def test_serve_is_a_command() -> None:
    shown = runner.invoke(app, ["serve", "--help"])
    assert shown.exit_code == 0 and "--port" in shown.output and "--host" in shown.output


def test_serve_refuses_a_bad_key_file_before_saying_it_serves(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=20)
    key = project / ".tuneloop" / "web-secret"
    key.parent.mkdir()
    key.write_text("k" * 64 + "\n")
    key.chmod(0o644)
    refused = runner.invoke(app, ["serve", str(project), "--port", "1"])
    assert refused.exit_code == 2 and "readable by others" in refused.output
    assert "serving" not in refused.output


def test_serve_names_its_safety_options() -> None:
    shown = runner.invoke(app, ["serve", "--help"]).output
    assert "--secure-cookies" in shown and "--max-body" in shown and "--forwarded-allow-ips" in shown
