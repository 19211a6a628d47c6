"""What both cases of `train_throughput.py` share: a token-counting collator, one timed
`SFTTrainer` run, and TRL's CPU-fair settings (its defaults turn on bf16 and activation
checkpointing, which on a CPU without native bf16 make it about 13x slower: unfair to TRL)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from transformers import PrinterCallback, set_seed
from trl import SFTConfig, SFTTrainer

from tuneloop.models import load_model_and_tokenizer


class CountingCollator:
    """Wraps a collator and counts the tokens it hands the model: real, padded, and trained."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.real, self.padded, self.answer = inner, 0, 0, 0

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self.inner(features)
        ids = batch["input_ids"]
        self.padded += ids.numel()
        self.real += int(batch["attention_mask"].sum()) if "attention_mask" in batch else ids.numel()
        self.answer += int((batch["labels"] != -100).sum()) if "labels" in batch else 0
        return batch


def make_trainer(
    config: SFTConfig, base: str, dataset: Any, peft: Any = None, callbacks: list[Any] | None = None
) -> tuple[SFTTrainer, CountingCollator]:
    """A seeded, quiet `SFTTrainer` for `base` on `dataset`, whose collator counts the tokens."""
    set_seed(0)
    model, tokenizer = load_model_and_tokenizer(base)
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft,
        callbacks=callbacks,
    )
    trainer.remove_callback(PrinterCallback)
    counter = CountingCollator(trainer.data_collator)
    trainer.data_collator = counter
    return trainer, counter


def measure(name: str, config: SFTConfig, base: str, dataset: Any, peft: Any = None) -> dict[str, Any]:
    """Train `base` on `dataset` with `config` and time it."""
    trainer, counter = make_trainer(config, base, dataset, peft)
    began = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - began
    return {
        "name": name,
        "seconds": seconds,
        "real_tokens": counter.real,
        "answer_tokens": counter.answer,
        "real_tokens_per_s": counter.real / seconds,
        "padding_waste": 1 - counter.real / counter.padded,
        "final_loss": trainer.state.log_history[-2].get("loss"),
    }


def timed_phase(phase: Any, steps: int, **update: Any) -> Any:
    """`phase` cut to `steps` steps, with one log line at the end and no evaluation, early stop or gate:
    what a throughput run times is training alone."""
    fixed = {
        "max_steps": steps,
        "logging_steps": steps,
        "eval_every": None,
        "early_stopping": None,
        "gate": [],
    }
    return phase.model_copy(update={**fixed, **update})


def sft_config_for_trl(phase: Any, out: Path, steps: int, bf16: bool = False) -> SFTConfig:
    """TRL's own defaults for `phase`'s rows, less the two that are unfair on a CPU."""
    return SFTConfig(
        output_dir=str(out),
        max_steps=steps,
        learning_rate=phase.learning_rate,
        per_device_train_batch_size=phase.batch_size,
        max_length=phase.max_length,
        logging_steps=steps,
        save_strategy="no",
        report_to="none",
        seed=0,
        disable_tqdm=True,
        bf16=bf16,
        activation_checkpointing=False,
        dataloader_pin_memory=False,
    )
