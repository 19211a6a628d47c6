"""Kill training with SIGKILL mid-phase, resume it, and end where an uninterrupted run ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from tests.conftest import build_project
from tuneloop.cli import app
from tuneloop.train.trainer_config import latest_checkpoint

pytestmark = pytest.mark.integration
runner = CliRunner()
COMMON = {"epochs": 1, "batch_size": 16, "learning_rate": 0.003, "logging_steps": 5}
PHASES = [
    {"name": "general", "kind": "causal_lm", "max_steps": 20, **COMMON},
    {"name": "task", "kind": "sft", "max_steps": 160, "save_every": 20, **COMMON},
]


def _project(root: Path) -> Path:
    return build_project(root / "project", rows=300, labels=5, phases=PHASES)


def _kill_mid_phase(project: Path) -> int:
    """SIGKILL the training once phase 2 has a complete checkpoint; the step it resumes from."""
    process = subprocess.Popen(
        [sys.executable, "-c", "from tuneloop.cli import app; app()", "train", str(project)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    checkpoints = project / "runs" / "run-001" / "phases" / "2-task" / "checkpoints"
    deadline = time.monotonic() + 600  # a loaded machine is slow to get there, never too fast
    saved = None
    while time.monotonic() < deadline and process.poll() is None:
        saved = latest_checkpoint(checkpoints.parent)
        if saved is not None and int(saved.name.split("-")[-1]) >= 40:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "training ended before it could be interrupted"
    assert saved is not None
    return int(saved.name.split("-")[-1])


def _losses(run_dir: Path) -> dict[int, float]:
    records = map(orjson.loads, (run_dir / "phases" / "2-task" / "metrics.jsonl").read_bytes().split())
    return {r["step"]: r["loss"] for r in records}


def _task_phase(run_dir: Path) -> dict[str, Any]:
    return orjson.loads((run_dir / "run.json").read_bytes())["phases"][1]


@pytest.mark.slow  # minutes on 2 cores: the slow tier (.ci/run) runs it
def test_a_killed_phase_resumes_to_the_same_result(tmp_path: Path) -> None:
    interrupted = _project(tmp_path / "a")
    killed_at = _kill_mid_phase(interrupted)
    run_dir = interrupted / "runs" / "run-001"
    record = orjson.loads((run_dir / "run.json").read_bytes())
    assert record["status"] == "training" and len(record["phases"]) == 1  # phase 1 done, phase 2 cut off

    resumed = runner.invoke(app, ["train", str(interrupted), "--resume", "--json"])
    assert resumed.exit_code == 0, resumed.output
    assert orjson.loads(resumed.stdout)["run_dir"] == str(run_dir)

    straight = _project(tmp_path / "b")
    result = runner.invoke(app, ["train", str(straight), "--json"])
    assert result.exit_code == 0, result.output

    a, b = _task_phase(run_dir), _task_phase(straight / "runs" / "run-001")
    assert a["steps"] == b["steps"] == 160
    # The same end, within a small tolerance: after the resume the length-grouped batches come in
    # another order (the trainer does not restore the sampler's randomness), so the logged losses
    # wobble on the way, but the phase converges to the same place.
    assert a["last_loss"] == pytest.approx(b["last_loss"], rel=1e-2)
    curves = [_losses(p) for p in (run_dir, straight / "runs" / "run-001")]
    assert list(curves[0]) == list(curves[1])  # the history before the kill is kept, nothing logged twice
    before = [s for s in curves[0] if s <= killed_at]
    assert [curves[0][s] for s in before] == [curves[1][s] for s in before]
    assert all(curves[0][s] == pytest.approx(curves[1][s], rel=5e-2) for s in curves[0])
    assert not (run_dir / "phases" / "2-task" / "checkpoints").exists()


def test_nothing_to_resume_is_a_clear_error(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = runner.invoke(app, ["train", str(project), "--resume"])
    assert result.exit_code == 2 and "no unfinished run to resume" in result.stderr
