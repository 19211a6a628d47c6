"""Phases watched while they learn: task metrics during training, the kept checkpoint, gates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from tuneloop.cli import app

pytestmark = pytest.mark.integration
runner = CliRunner()


def _phases(task: dict[str, Any]) -> list[dict[str, Any]]:
    common = {"epochs": 1, "batch_size": 16, "learning_rate": 0.001, "logging_steps": 5}
    return [
        {"name": "general", "kind": "causal_lm", "max_steps": 30, **common},
        {
            "name": "task",
            "kind": "sft",
            "max_steps": 150,
            "eval_every": 25,
            "eval_rows": 30,
            **common,
            **task,
        },
    ]


def _records(run_dir: Path, phase: str) -> list[dict[str, Any]]:
    path = run_dir / "phases" / phase / "metrics.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.mark.slow  # minutes on 2 cores: the slow tier (.ci/run) runs it
def test_task_metrics_during_training_pick_the_kept_model_and_gate_the_phase(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(rows=300, labels=5, phases=_phases({"gate": ["val.accuracy >= 0.3"]}))
    result = runner.invoke(app, ["run", str(project), "--json"])
    assert result.exit_code == 0, result.output
    run_dir = Path(orjson.loads(result.stdout)["run_dir"])
    evals = [r for r in _records(run_dir, "2-task") if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [25, 50, 75, 100, 125, 150]
    assert all(0 <= r["accuracy"] <= 1 and r["loss"] > 0 and r["train_loss"] > 0 for r in evals)
    task = orjson.loads((run_dir / "run.json").read_bytes())["phases"][1]
    best = max(evals, key=lambda r: r["accuracy"])
    assert task["best"]["accuracy"] == best["accuracy"]
    assert task["gates"] == [
        {"gate": "val.accuracy >= 0.3", "actual": best["accuracy"], "threshold": 0.3, "passed": True}
    ]
    assert not (run_dir / "phases" / "2-task" / "checkpoints").exists()
    html = (run_dir / "report.html").read_text()
    assert "val.accuracy &gt;= 0.3: " in html and "passed" in html


def test_a_failed_gate_stops_the_round_with_a_report(make_project: Callable[..., Path]) -> None:
    project = make_project(
        rows=300, labels=5, phases=_phases({"max_steps": 50, "gate": "val.accuracy >= 0.99"})
    )
    result = runner.invoke(app, ["run", str(project), "--json"])
    assert result.exit_code == 1, result.output
    payload = orjson.loads(result.stdout)
    assert payload["status"].startswith("stopped: phase 'task' failed its gate")
    assert payload["report"].endswith("report.html") and len(payload["phases"]) == 2
    assert "check failed: phase 'task' failed its gate: val.accuracy >= 0.99 (got " in result.stderr
    run_dir = project / "runs" / "run-001"
    assert f"report: {run_dir / 'report.html'}" in result.stderr
    run = orjson.loads((run_dir / "run.json").read_bytes())
    assert run["status"].startswith("stopped: phase 'task' failed its gate")
    assert "final_model" not in run and run["phases"][1]["gates"][0]["passed"] is False
    assert "FAILED" in (run_dir / "report.html").read_text()


def test_early_stopping_ends_a_phase_and_is_an_event(make_project: Callable[..., Path]) -> None:
    stop = {"early_stopping": {"metric": "accuracy", "patience": 1, "min_delta": 0.5}}
    project = make_project(rows=300, labels=5, phases=_phases(stop))
    result = runner.invoke(app, ["train", str(project), "--json"])
    assert result.exit_code == 0, result.output
    task = orjson.loads(result.stdout)["phases"][1]
    assert task["steps"] == 50  # the first evaluation sets the best, the second cannot beat it by 0.5
    assert [(e["step"], e["kind"]) for e in task["events"]] == [(50, "early_stop")]


@pytest.mark.slow  # minutes on 2 cores: the slow tier (.ci/run) runs it
def test_the_last_step_is_evaluated_even_off_the_schedule(make_project: Callable[..., Path]) -> None:
    project = make_project(
        rows=120, labels=3, phases=_phases({"max_steps": 60, "gate": "val.accuracy >= 0.0"})
    )
    result = runner.invoke(app, ["train", str(project), "--json"])
    assert result.exit_code == 0, result.output
    run_dir = Path(orjson.loads(result.stdout)["run_dir"])
    assert [r["step"] for r in _records(run_dir, "2-task") if r["kind"] == "eval"] == [25, 50, 60]
    assert orjson.loads(result.stdout)["phases"][1]["gates"][0]["passed"] is True
