"""`tuneloop evaluate`: the two modes refuse each other's options."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tuneloop.cli import app
from tuneloop.cli.evaluate import print_headline

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


def test_the_headline_prints_the_baselines_and_the_collapse_alarm(capsys: pytest.CaptureFixture[str]) -> None:
    headline = {
        "n": 118,
        "accuracy": 0.347,
        "invalid_rate": 0.0,
        "baselines": {
            "majority": {"accuracy": 0.347, "macro_f1": 0.043},
            "tfidf_logreg": {"accuracy": 0.91, "macro_f1": 0.9},
        },
        "collapse": {"alarm": True, "reasons": ["one label for every row: 'none' for 118 of 118 rows"]},
    }
    print_headline("test", headline)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "test: accuracy 0.3470 (n=118, invalid outputs 0.00%)",
        "  baseline majority: accuracy 0.3470, macro_f1 0.0430",
        "  baseline tfidf_logreg: accuracy 0.9100, macro_f1 0.9000",
        "  COLLAPSE ALARM: one label for every row: 'none' for 118 of 118 rows",
    ]
