"""`tracking:` sends the phases' metrics to MLflow (sqlite store) and TensorBoard while they train."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from mlflow.tracking import MlflowClient
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from typer.testing import CliRunner

from tuneloop.cli import app

pytestmark = pytest.mark.integration
runner = CliRunner()


def test_mlflow_and_tensorboard_see_the_metrics_of_every_phase(make_project: Callable[..., Path]) -> None:
    common = {"epochs": 1, "batch_size": 16, "logging_steps": 2, "max_steps": 6, "learning_rate": 0.003}
    phases = [
        {"name": "general", "kind": "causal_lm", **common},
        {
            "name": "task",
            "kind": "sft",
            "eval_every": 3,
            "eval_rows": 16,
            "gate": ["val.accuracy >= 0"],
            **common,
        },
    ]
    tracking = {"mlflow": "sqlite:///mlruns.db", "tensorboard": True}
    project = make_project(rows=90, labels=3, phases=phases, tracking=tracking)
    result = runner.invoke(app, ["train", str(project), "--json"])
    assert result.exit_code == 0, result.output
    run_dir = Path(orjson.loads(result.stdout)["run_dir"])
    run_id = orjson.loads((run_dir / "run.json").read_bytes())["mlflow_run_id"]

    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlruns.db'}")  # relative to the project
    run = client.get_run(run_id)
    assert run.info.run_name == "run-001" and run.info.status == "FINISHED"
    assert run.data.params["task.learning_rate"] == "0.003" and run.data.params["task.eval_every"] == "3"
    accuracy = client.get_metric_history(run_id, "task/eval_accuracy")
    assert [m.step for m in accuracy] == [3, 6] and all(0 <= m.value <= 1 for m in accuracy)
    assert [m.step for m in client.get_metric_history(run_id, "general/loss")] == [1, 2, 4, 6]
    assert client.get_metric_history(run_id, "task/general_token_accuracy")[0].step == 6
    assert run.data.tags["task.gate.1"].startswith("val.accuracy >= 0: passed (got 0.")

    events = EventAccumulator(str(run_dir / "tensorboard" / "task"))
    events.Reload()
    assert {"loss", "eval_loss", "eval_accuracy"} <= set(events.Tags()["scalars"])
    assert [e.step for e in events.Scalars("eval_accuracy")] == [3, 6]


def test_tracking_left_off_writes_no_store(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=60, labels=3, max_steps=2)
    result = runner.invoke(app, ["train", str(project), "--json"])
    assert result.exit_code == 0, result.output
    run_dir = Path(orjson.loads(result.stdout)["run_dir"])
    assert not (project / "mlruns.db").exists() and not (run_dir / "tensorboard").exists()
    assert "mlflow_run_id" not in orjson.loads((run_dir / "run.json").read_bytes())
