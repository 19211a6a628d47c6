"""A LoRA phase trains adapters and leaves a plain, merged model behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM
from typer.testing import CliRunner

from tuneloop.cli import app

pytestmark = pytest.mark.integration
runner = CliRunner()


def test_a_lora_phase_is_merged_into_full_weights(make_project: Callable[..., Path]) -> None:
    common = {"epochs": 1, "batch_size": 16, "logging_steps": 5, "max_steps": 40}
    phases = [
        {"name": "general", "kind": "causal_lm", "learning_rate": 0.003, **common},
        {"name": "task", "kind": "sft", "learning_rate": 0.01, "lora": {"r": 4, "alpha": 8}, **common},
    ]
    project = make_project(rows=120, labels=3, phases=phases)
    result = runner.invoke(app, ["train", str(project), "--json"])
    assert result.exit_code == 0, result.output
    general, task = orjson.loads(result.stdout)["phases"]
    model_dir = Path(task["model_dir"])
    assert not (model_dir / "adapter_config.json").exists()
    assert task["last_loss"] < task["first_loss"]
    before, after = (load_file(Path(p["model_dir"]) / "model.safetensors") for p in (general, task))
    assert before.keys() == after.keys()  # same plain architecture, no lora_ tensors
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert changed and all("proj" in k for k in changed)  # only the adapted linear layers moved
    assert AutoModelForCausalLM.from_pretrained(model_dir).config.model_type == "llama"
