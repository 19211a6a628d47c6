"""`tuneloop evaluate`: the two modes refuse each other's options."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()


def test_evaluate_without_model_or_data_is_bad_usage() -> None:
    result = runner.invoke(app, ["evaluate"])
    assert result.exit_code == 2 and "give MODEL_DIR with --data FILE" in result.stderr


def test_evaluate_option_conflicts_are_bad_usage(tmp_path: Path) -> None:
    run = ["evaluate", "--run", str(tmp_path)]
    result = runner.invoke(app, [*run, "--data", "x.csv"])
    assert result.exit_code == 2 and "--data" in result.stderr and "not to --run" in result.stderr
    result = runner.invoke(app, [*run, "--out-dir", str(tmp_path / "o")])
    assert result.exit_code == 2 and "--out-dir goes with MODEL_DIR" in result.stderr
    result = runner.invoke(app, [*run, "--split", "unlabeled"])
    assert (
        result.exit_code == 2
        and "--split 'unlabeled': expected one of train, validation, test" in result.stderr
    )
