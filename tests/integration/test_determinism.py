"""Seeded runs on the CPU are reproducible: the same spec and data give the same metrics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tuneloop.cli import app

pytestmark = [pytest.mark.integration, pytest.mark.slow]
runner = CliRunner()


def test_same_spec_same_data_same_losses_and_predictions(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=200, labels=4)
    runs = []
    for _ in range(2):
        result = runner.invoke(app, ["run", str(project), "--json"])
        assert result.exit_code == 0, result.output
        runs.append(Path(orjson.loads(result.stdout)["run_dir"]))
    first, second = (orjson.loads((r / "run.json").read_bytes()) for r in runs)
    assert [p["last_loss"] for p in first["phases"]] == [p["last_loss"] for p in second["phases"]]
    assert first["evaluation"]["test"]["accuracy"] == second["evaluation"]["test"]["accuracy"]
    predictions = [(r / "eval" / "test" / "predictions.jsonl").read_bytes() for r in runs]
    assert predictions[0] == predictions[1]
