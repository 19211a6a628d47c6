"""The SmolLM2-135M-Instruct LoRA case of `train_throughput.py`: TRL against tuneloop, and what each
of tuneloop's speed choices buys.

    .venv/bin/python benchmarks/train_throughput.py --case smollm2 [--project demo-smollm2]

The project is one made by `make demo-smollm2` (it holds `models/smollm2-135m-instruct` and the
example's `smollm2-lora.yaml`). Every trainer runs the same BANKING77 training rows for the same
steps with the recipe's LoRA settings. TRL gets the rows as conversational prompt-completion pairs
(its supported route for a template without generation markers) and its CPU-fair settings; each
variant of tuneloop turns one of its choices off. Model FLOPs utilisation is measured against a
2048x2048 float32 matmul on the same cores in the same run: per real token, forward through every
layer (2 x body parameters) and backward through the trained layers (2 x their parameters, no weight
gradients for frozen weights), plus the output head at answer tokens only (TRL's fused head).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import torch
from datasets import Dataset
from throughput_common import measure, sft_config_for_trl, timed_phase
from trl import SFTConfig

from tuneloop.data.prepare import read_and_split
from tuneloop.models import load_model_and_tokenizer
from tuneloop.models.gguf_import import IMPORT_RECORD
from tuneloop.spec import load_spec
from tuneloop.train.phases import phase_dataset
from tuneloop.train.trainer_config import lora_config, native_cpu_bf16, training_config, uses_bf16

STEPS = 24
MARKER = "## Training throughput vs TRL: SmolLM2-135M-Instruct, LoRA, CPU"


def matmul_gflops(dtype: torch.dtype = torch.float32, n: int = 2048, repeats: int = 10) -> float:
    """The machine's limit to measure MFU against: a square matmul, best of three rounds."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = min(best, time.perf_counter() - began)
    return 2 * n**3 * repeats / best / 1e9


def flops_per_token(model: Any, trained_layers: int) -> tuple[float, float]:
    """(FLOPs per real token, extra FLOPs per answer token) of one LoRA training step."""
    config = model.config
    head = config.vocab_size * config.hidden_size
    body = sum(p.numel() for p in model.parameters()) - head * (1 if config.tie_word_embeddings else 2)
    per_layer = body / config.num_hidden_layers
    return 2 * body + 2 * per_layer * trained_layers, 4 * head


def run_case(project: Path) -> dict[str, Any]:
    spec = load_spec(project / "smollm2-lora.yaml")
    parts = read_and_split(spec)[1]
    phase = timed_phase(spec.phases[0], STEPS)
    base = str(project / spec.model.base)
    model, tokenizer = load_model_and_tokenizer(base)
    layers = model.config.num_hidden_layers
    limit = matmul_gflops()  # again at the end: the higher of the two is the machine's limit
    out = Path(project) / "runs-bench"
    results = [_trl(phase, parts, base, out, model)]
    print(results[0], flush=True)
    for name, variant, trained in _variants(phase, layers):
        dataset = _rows(spec, variant, parts, tokenizer, with_default=name.endswith("system prompt"))
        config = training_config(spec, variant, out / "tuneloop")
        if name.startswith("tuneloop without length"):
            config.train_sampling_strategy = "random"
        results.append(measure(name, config, base, dataset, peft=lora_config(variant.lora, model)))
        results[-1]["trained_layers"] = trained
        print(results[-1], flush=True)
    results[0]["trained_layers"] = phase.lora.layers or layers
    limit = max(limit, matmul_gflops())
    _, per_answer = flops_per_token(model, 0)
    for r in results:
        body, _ = flops_per_token(model, r["trained_layers"])
        achieved = (r["real_tokens"] * body + r["answer_tokens"] * per_answer) / r["seconds"] / 1e9
        r["mfu"] = achieved / limit
        r["rows_per_s"] = STEPS * phase.batch_size / r["seconds"]
    return {"results": results, "matmul_gflops": limit, "native_bf16": native_cpu_bf16(), "steps": STEPS}


def _variants(phase: Any, layers: int) -> list[tuple[str, Any, int]]:
    top = phase.lora.layers or layers
    all_layers = phase.model_copy(update={"lora": phase.lora.model_copy(update={"layers": None})})
    return [
        ("tuneloop recipe", phase, top),
        ("tuneloop without length grouping", phase, top),
        (f"tuneloop with LoRA on all {layers} layers", all_layers, layers),
        (
            "tuneloop with the template's default system prompt",
            phase.model_copy(update={"max_length": 192}),
            top,
        ),
    ]


def _rows(spec: Any, phase: Any, parts: dict[str, Any], tokenizer: Any, with_default: bool) -> Dataset:
    if with_default:  # the rows as the original template renders them: its default system prompt first
        text = _original_default(spec)
        parts = {
            **parts,
            "train": [
                e.__class__(**{**vars(e), "messages": [{"role": "system", "content": text}, *e.messages]})
                for e in parts["train"]
            ],
        }
    dataset, _ = phase_dataset(spec, phase, parts, tokenizer)
    return dataset


def _original_default(spec: Any) -> str:
    record = spec.root / spec.model.base / IMPORT_RECORD
    return str(orjson.loads(record.read_bytes())["default_system_prompt"])


def _trl(phase: Any, parts: dict[str, Any], base: str, out: Path, model: Any) -> dict[str, Any]:
    pairs = Dataset.from_dict(
        {
            "prompt": [e.messages[:-1] for e in parts["train"]],
            "completion": [e.messages[-1:] for e in parts["train"]],
        }
    )
    config: SFTConfig = sft_config_for_trl(phase, out / "trl", STEPS, bf16=uses_bf16(phase.precision))
    return measure(
        "TRL SFTTrainer (prompt-completion, CPU-fair)",
        config,
        base,
        pairs,
        peft=lora_config(phase.lora, model),
    )
