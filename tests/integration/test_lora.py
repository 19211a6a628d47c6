"""A LoRA phase trains adapters and leaves a plain, merged model behind, or chains its adapter."""

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
from tuneloop.models import load_model_and_tokenizer

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


def test_unmerged_lora_phases_chain_as_adapters(make_project: Callable[..., Path]) -> None:
    """With `merge: false` each phase saves only its adapter; loading the last applies the chain."""
    common = {"epochs": 1, "batch_size": 16, "logging_steps": 5, "max_steps": 15, "learning_rate": 0.01}
    lora = {"r": 4, "alpha": 8, "merge": False}
    phases = [
        {"name": "general", "kind": "causal_lm", "lora": lora, **common},
        {"name": "task", "kind": "sft", "lora": lora, **common},
    ]
    project = make_project(rows=120, labels=3, phases=phases)
    result = runner.invoke(app, ["train", str(project), "--json"])
    assert result.exit_code == 0, result.output
    general, task = (Path(p["model_dir"]) for p in orjson.loads(result.stdout)["phases"])
    for adapter_dir, start in ((general, "base-model"), (task, str(general))):
        config = orjson.loads((adapter_dir / "adapter_config.json").read_bytes())
        assert start in config["base_model_name_or_path"]  # each adapter sits on the previous model
        assert not (adapter_dir / "model.safetensors").exists()  # an adapter, not full weights
    chained, tokenizer = load_model_and_tokenizer(str(task))
    only_general, _ = load_model_and_tokenizer(str(general))
    ids = tokenizer("my card has not arrived", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert not torch.allclose(chained(ids).logits, only_general(ids).logits)  # both adapters applied
    evaluated = runner.invoke(app, ["evaluate", str(task), "--data", str(project / "data" / "train.csv")])
    assert evaluated.exit_code == 0, evaluated.output
