"""The same spec under `accelerate launch` with 2 CPU processes (gloo) matches one process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ACCELERATE = Path(sys.executable).with_name("accelerate")
REPO = Path(__file__).resolve().parents[2]


def _train(command: list[str]) -> dict[str, object]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    return orjson.loads(done.stdout)


def test_two_gloo_processes_train_like_one(make_project: Callable[..., Path], tmp_path: Path) -> None:
    # 2 processes x 16 rows per step and 1 process x 32 rows per step see the same global batch.
    two = make_project(rows=200, labels=3, max_steps=30)
    one = tmp_path / "one"
    shutil.copytree(two, one)
    spec = (one / "tuneloop.yaml").read_text()
    assert spec.count("batch_size: 16") == 2
    (one / "tuneloop.yaml").write_text(spec.replace("batch_size: 16", "batch_size: 32"))
    config = REPO / "examples" / "accelerate" / "cpu-2-processes.yaml"  # the config the docs ship
    launch = [str(ACCELERATE), "launch", "--config_file", str(config), "-m", "tuneloop"]
    distributed = _train([*launch, "train", str(two), "--json"])
    single = _train([sys.executable, "-m", "tuneloop", "train", str(one), "--json"])
    assert sorted(p.name for p in (two / "runs").iterdir()) == [
        "base-model",
        "run-001",
        "tokenizers",
    ]  # one run
    for ours, reference in zip(distributed["phases"], single["phases"], strict=True):  # type: ignore[call-overload]
        assert ours["steps"] == reference["steps"] == 30
        assert ours["general"]["loss"] == pytest.approx(reference["general"]["loss"], rel=0.03)
        assert ours["last_loss"] == pytest.approx(reference["last_loss"], rel=0.1)
        assert ours["last_loss"] < ours["first_loss"]
    record = orjson.loads((two / "runs" / "run-001" / "run.json").read_bytes())
    assert record["status"] == "trained" and Path(record["final_model"]).is_dir()
