"""Training throughput: tuneloop's phase settings against TRL's SFTTrainer defaults, same everything else.

    .venv/bin/python benchmarks/train_throughput.py     (part of `make bench`)

Both train the same tiny model on the same BANKING77 rows for the same number of steps with TRL's
SFTTrainer; TRL gets `bf16=False` and `activation_checkpointing=False` on the CPU (its defaults turn
both on and are then about 13x slower, which would make the comparison unfair). The difference left
is what tuneloop chooses: length-grouped batches instead of random ones (tuneloop hands TRL rows
it tokenized itself, with the same chat template and answer-only mask; TRL tokenizes its own).
A counting collator measures real (non-padding) and padded tokens, so the result is real tokens per
second and the padding waste of each. Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import transformers
from datasets import Dataset
from results import replace_section
from transformers import PrinterCallback, set_seed
from trl import SFTConfig, SFTTrainer

from tuneloop.data.prepare import read_and_split
from tuneloop.models import load_model_and_tokenizer
from tuneloop.spec import load_spec
from tuneloop.train.base_model import ensure_base_model
from tuneloop.train.phases import phase_dataset
from tuneloop.train.trainer_config import training_config

REPO = Path(__file__).resolve().parents[1]
STEPS = 120
MARKER = "## Training throughput vs TRL"


class CountingCollator:
    """Wraps a collator and counts the tokens it hands the model, real and padded."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.real, self.padded = inner, 0, 0

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self.inner(features)
        ids = batch["input_ids"]
        self.padded += ids.numel()
        self.real += int(batch["attention_mask"].sum()) if "attention_mask" in batch else ids.numel()
        return batch


def measure(name: str, config: SFTConfig, base: str, dataset: Any) -> dict[str, Any]:
    set_seed(0)
    model, tokenizer = load_model_and_tokenizer(base)
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)
    counter = CountingCollator(trainer.data_collator)
    trainer.data_collator = counter
    began = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - began
    return {
        "name": name,
        "seconds": seconds,
        "real_tokens_per_s": counter.real / seconds,
        "padding_waste": 1 - counter.real / counter.padded,
        "final_loss": trainer.state.log_history[-2].get("loss"),
    }


def main() -> None:
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    spec = load_spec(REPO / "examples" / "banking77")
    parts = read_and_split(spec)[1]
    phase = spec.phases[1].model_copy(
        update={
            "max_steps": STEPS,
            "logging_steps": STEPS,
            "eval_every": None,
            "early_stopping": None,
            "gate": [],
            "mix": None,  # the same rows as TRL: the task examples alone
        }
    )
    chats = Dataset.from_dict({"messages": [e.messages for e in parts["train"]]})  # TRL tokenizes these
    with tempfile.TemporaryDirectory() as tmp:
        spec = spec.model_copy(update={"output_dir": Path(tmp)})
        base, _ = ensure_base_model(spec, parts)
        ours = training_config(spec, phase, Path(tmp) / "tuneloop")
        tokenized, _ = phase_dataset(spec, phase, parts, load_model_and_tokenizer(base)[1])
        trl = SFTConfig(
            output_dir=str(Path(tmp) / "trl"),
            assistant_only_loss=True,
            max_steps=STEPS,
            learning_rate=phase.learning_rate,
            per_device_train_batch_size=phase.batch_size,
            max_length=phase.max_length,
            logging_steps=STEPS,
            save_strategy="no",
            report_to="none",
            seed=0,
            disable_tqdm=True,
            bf16=False,
            activation_checkpointing=False,
            dataloader_pin_memory=False,
        )
        results = [
            measure("TRL SFTTrainer (CPU-fair defaults)", trl, base, chats),
            measure("tuneloop phase settings", ours, base, tokenized),
        ]
    write(results)


def write(results: list[dict[str, Any]]) -> None:
    trl, ours = results
    ratio = ours["real_tokens_per_s"] / trl["real_tokens_per_s"]
    rows = "".join(
        f"| {r['name']} | {r['real_tokens_per_s']:,.0f} | {r['padding_waste']:.1%} | {r['seconds']:.1f} s "
        f"| {r['final_loss']:.3f} |\n"
        for r in results
    )
    section = (
        f"{MARKER}\n\n"
        f"Tiny model of the BANKING77 example, sft, batch 32, {STEPS} steps, same rows, 2 CPU cores. "
        "Command: `.venv/bin/python benchmarks/train_throughput.py`.\n\n"
        "| trainer | real tokens/s | padding waste | wall time | last logged loss |\n"
        "| --- | --- | --- | --- | --- |\n"
        f"{rows}\nRatio tuneloop / TRL, real tokens per second: **{ratio:.2f}x** (target 1.2x).\n"
    )
    replace_section(MARKER, section)
    print(section)


if __name__ == "__main__":
    main()
