"""Train in phases: each phase of the spec starts from the weights the previous one saved.

- `causal_lm`: general adaptation, next-token loss on the training split's input texts and the
  unlabeled domain text (no labels): the seed's "start with general adjustments".
- `sft`: task-specific training on chat examples with assistant-only loss (TRL's SFTTrainer and
  the `{% generation %}` markers of the chat template).

Every phase reads `setup → train → save`: it writes `model/` (weights, tokenizer, task card) and
`metrics.jsonl` (one line per logged step) into its own directory under the run.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import torch
from datasets import Dataset
from rich.console import Console
from transformers import (
    PrinterCallback,
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
    set_seed,
)
from trl import SFTConfig, SFTTrainer

from tuneloop.data.example import Example
from tuneloop.spec import Phase, ProjectSpec
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import load_model_and_tokenizer
from tuneloop.train.loss_mask import verify_loss_mask
from tuneloop.train.progress import RichProgress

METRICS_FILE = "metrics.jsonl"


@dataclass(frozen=True)
class PhaseResult:
    name: str
    kind: str
    model_dir: str
    steps: int
    first_loss: float
    last_loss: float
    runtime_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_phases(
    spec: ProjectSpec,
    parts: dict[str, list[Example]],
    start_from: str,
    run_dir: Path,
    console: Console | None = None,
) -> list[PhaseResult]:
    results = []
    for index, phase in enumerate(spec.phases, start=1):
        out_dir = run_dir / "phases" / f"{index}-{phase.name}"
        result = train_phase(spec, phase, parts, start_from, out_dir, console)
        results.append(result)
        start_from = result.model_dir
    return results


def train_phase(
    spec: ProjectSpec,
    phase: Phase,
    parts: dict[str, list[Example]],
    start_from: str,
    out_dir: Path,
    console: Console | None = None,
) -> PhaseResult:
    set_seed(spec.seed)
    model, tokenizer = load_model_and_tokenizer(start_from)
    dataset = phase_dataset(phase, parts)
    if phase.kind == "sft":
        verify_loss_mask(tokenizer, _sft_rows(phase, parts), phase.max_length, phase.name)
    trainer = SFTTrainer(
        model=model,
        args=_config(spec, phase, out_dir),
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[RichProgress(f"phase {phase.name} ({phase.kind})", console), LogFirstAndLastStep()],
    )
    trainer.remove_callback(PrinterCallback)  # the rich bar shows the loss; raw dicts are noise
    began = time.perf_counter()
    trainer.train()
    runtime = time.perf_counter() - began
    model_dir = out_dir / "model"
    trainer.save_model(str(model_dir))
    tokenizer.save_pretrained(model_dir)
    TaskCard.from_spec(spec).save(model_dir)
    losses = _write_metrics(trainer.state.log_history, out_dir / METRICS_FILE)
    return PhaseResult(
        name=phase.name,
        kind=phase.kind,
        model_dir=str(model_dir),
        steps=trainer.state.global_step,
        first_loss=losses[0] if losses else float("nan"),
        last_loss=losses[-1] if losses else float("nan"),
        runtime_s=round(runtime, 1),
    )


class LogFirstAndLastStep(TrainerCallback):
    """Log the first and the last step as well, so even a short phase has a loss curve's two ends."""

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> TrainerControl:
        if state.global_step in (1, state.max_steps):
            control.should_log = True
        return control


def phase_dataset(phase: Phase, parts: dict[str, list[Example]]) -> Dataset:
    """`causal_lm`: the training inputs and the unlabeled text; `sft`: the training examples."""
    if phase.kind == "causal_lm":
        texts = [e.text for e in parts["train"]] + [e.text for e in parts.get("unlabeled", [])]
        return Dataset.from_dict({"text": texts[: phase.max_rows] if phase.max_rows else texts})
    return Dataset.from_dict({"messages": [e.messages for e in _sft_rows(phase, parts)]})


def _sft_rows(phase: Phase, parts: dict[str, list[Example]]) -> list[Example]:
    return parts["train"][: phase.max_rows] if phase.max_rows else parts["train"]


def _config(spec: ProjectSpec, phase: Phase, out_dir: Path) -> SFTConfig:
    on_cpu = not torch.cuda.is_available()
    return SFTConfig(
        output_dir=str(out_dir / "checkpoints"),
        assistant_only_loss=phase.kind == "sft",
        num_train_epochs=phase.epochs,
        max_steps=phase.max_steps or -1,
        learning_rate=phase.learning_rate,
        per_device_train_batch_size=phase.batch_size,
        gradient_accumulation_steps=phase.gradient_accumulation,
        warmup_steps=phase.warmup_ratio,  # a float below 1 is a ratio of the total steps
        weight_decay=phase.weight_decay,
        lr_scheduler_type=phase.scheduler,
        max_length=phase.max_length,
        logging_steps=phase.logging_steps,
        save_strategy="no",
        report_to="none",
        seed=spec.seed,
        data_seed=spec.seed,
        disable_tqdm=True,
        # TRL turns these on by default (gradient checkpointing is now activation checkpointing);
        # on CPU they make training about 13x slower.
        bf16=False if on_cpu else torch.cuda.is_bf16_supported(),
        activation_checkpointing=not on_cpu,  # the new name of gradient_checkpointing
        # Packing and padding-free attend over the whole flattened batch with sdpa on CPU:
        # grouping by length saves the padding without that cost.
        packing=False,
        padding_free=False,
        train_sampling_strategy="group_by_length",
        dataset_num_proc=None,
        dataloader_pin_memory=not on_cpu,
    )


def _write_metrics(log_history: list[dict[str, Any]], path: Path) -> list[float]:
    path.parent.mkdir(parents=True, exist_ok=True)
    losses = []
    with path.open("wb") as fh:
        for entry in log_history:
            if "loss" in entry:
                losses.append(float(entry["loss"]))
                record = {
                    "step": entry["step"],
                    "loss": float(entry["loss"]),
                    "learning_rate": float(entry.get("learning_rate", 0.0)),
                    "epoch": entry.get("epoch"),
                }
                fh.write(orjson.dumps(record) + b"\n")
    return losses
