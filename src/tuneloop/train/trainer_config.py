"""The trainer settings of a phase: TRL's `SFTConfig` (`KTOConfig` and `DPOConfig` for the
preference phases), LoRA adapters, checkpoints for resuming.

One place decides what a phase's trainer does (and `benchmarks/train_throughput.py` measures
exactly that): the CPU settings that matter for speed, how often a monitored phase evaluates and
checkpoints, and which checkpoint it keeps.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig
from transformers import PreTrainedModel
from trl import DPOConfig, KTOConfig, SFTConfig

from tuneloop.run_dir import CHECKPOINTS_DIR
from tuneloop.spec import LoraSpec, Phase, ProjectSpec, higher_is_better


def training_config(spec: ProjectSpec, phase: Phase, out_dir: Path) -> SFTConfig:
    """The trainer settings of a phase (also what benchmarks/train_throughput.py measures)."""
    return SFTConfig(
        **_shared(spec, phase, out_dir),
        assistant_only_loss=False,  # the rows carry their own loss mask (train/mixture.py)
        # Packing and padding-free attend over the whole flattened batch with sdpa on CPU:
        # grouping by length saves the padding without that cost.
        packing=False,
        padding_free=False,
        train_sampling_strategy="group_by_length",
        **_monitoring(phase, spec.objective.task),
    )


def preference_config(
    spec: ProjectSpec, phase: Phase, out_dir: Path, weights: tuple[float, float]
) -> KTOConfig | DPOConfig:
    """A `kto` or `dpo` phase's settings: the shared ones, `beta`, and for KTO the
    (desirable, undesirable) `weights`. No evaluation: such a phase is judged by its general set."""
    assert phase.preference is not None  # the spec fills it in for kto and dpo phases
    shared = {**_shared(spec, phase, out_dir), "beta": phase.preference.beta, **_monitoring(phase, "")}
    if phase.kind == "kto":
        desirable, undesirable = weights
        return KTOConfig(**shared, desirable_weight=desirable, undesirable_weight=undesirable)
    return DPOConfig(**shared)


def _shared(spec: ProjectSpec, phase: Phase, out_dir: Path) -> dict[str, Any]:
    """What every kind of phase's trainer is told: its schedule, and the settings that matter for
    speed on a CPU."""
    on_cpu = not torch.cuda.is_available()
    return {
        "output_dir": str(out_dir / CHECKPOINTS_DIR),
        "num_train_epochs": phase.epochs,
        "max_steps": phase.max_steps or -1,
        "learning_rate": phase.learning_rate,
        "per_device_train_batch_size": phase.batch_size,
        "gradient_accumulation_steps": phase.gradient_accumulation,
        "warmup_steps": phase.warmup_ratio,  # a float below 1 is a ratio of the total steps
        "weight_decay": phase.weight_decay,
        "lr_scheduler_type": phase.scheduler,
        "max_length": phase.max_length,
        "logging_steps": phase.logging_steps,
        "report_to": "none",
        "seed": spec.seed,
        "data_seed": spec.seed,
        "disable_tqdm": True,
        # TRL turns these on by default (gradient checkpointing is now activation checkpointing);
        # on a CPU without native bf16 they make training about 13x slower.
        "bf16": uses_bf16(phase.precision),
        "activation_checkpointing": not on_cpu,  # the new name of gradient_checkpointing
        "dataset_num_proc": None,
        "dataloader_pin_memory": not on_cpu,
        "ddp_find_unused_parameters": False,  # every weight trains; skips a graph walk per step
        "use_cpu": on_cpu,  # also makes a multi-process launch on CPU use gloo (accelerate's MULTI_CPU)
    }


def uses_bf16(precision: str) -> bool:
    """Whether a phase trains in bf16 autocast: asked for, or `auto` on hardware with native bf16."""
    if precision != "auto":
        return precision == "bf16"
    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    return native_cpu_bf16()


def native_cpu_bf16() -> bool:
    """The CPU computes bf16 in hardware (AVX512-BF16 or AMX), as Linux reports its flags."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def latest_checkpoint(out_dir: Path) -> Path | None:
    """The phase's newest trainer checkpoint, left behind when training was interrupted."""
    complete = [  # a kill can leave a checkpoint half written; the trainer writes these two last
        p
        for p in (out_dir / CHECKPOINTS_DIR).glob("checkpoint-*")
        if (p / "trainer_state.json").is_file() and (p / "rng_state.pth").is_file()
    ]
    return max(complete, key=lambda p: int(p.name.split("-")[-1]), default=None)


def lora_config(lora: LoraSpec, model: PreTrainedModel) -> LoraConfig:
    """peft's settings for `lora`; `lora.layers` selects the top layers of `model` (peft then needs
    the module names spelled out, so `all-linear` becomes the linear layers' names, as peft reads it)."""
    targets = lora.target_modules
    top = None
    if lora.layers is not None:
        layers = int(model.config.num_hidden_layers)
        top = list(range(max(layers - lora.layers, 0), layers))
        if targets == "all-linear":
            targets = _linear_names(model)
    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=targets,
        layers_to_transform=top,
        modules_to_save=lora.modules_to_save or None,
        task_type="CAUSAL_LM",
    )


def _linear_names(model: PreTrainedModel) -> list[str]:
    """The last name part of every linear layer but the output head (what `all-linear` means)."""
    head = model.get_output_embeddings()
    return sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and module is not head
        }
    )


def _monitoring(phase: Phase, task: str) -> dict[str, Any]:
    """Checkpoints (for resuming) every `save_every` steps, or at each evaluation with `eval_every`,
    where the best checkpoint by the phase's metric is the one kept."""
    if phase.eval_every is None:
        if phase.save_every is None:
            return {"save_strategy": "no"}
        return {"save_strategy": "steps", "save_steps": phase.save_every, "save_total_limit": 1}
    return {
        "eval_strategy": "steps",
        "eval_steps": phase.eval_every,
        "save_strategy": "steps",
        "save_steps": phase.eval_every,
        "save_total_limit": 1,
        "load_best_model_at_end": True,
        "metric_for_best_model": phase.selection_metric(task),
        "greater_is_better": higher_is_better(phase.selection_metric(task)),
        "per_device_eval_batch_size": phase.batch_size,
    }
