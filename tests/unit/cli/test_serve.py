"""`tuneloop serve` is a command with the web app's listening options."""

from __future__ import annotations

from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()


def test_serve_is_a_command() -> None:
    shown = runner.invoke(app, ["serve", "--help"])
    assert shown.exit_code == 0 and "--port" in shown.output and "--host" in shown.output
