"""`tuneloop report` on a directory that is not a run is bad input."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()


def test_report_on_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a run directory" in result.stderr
