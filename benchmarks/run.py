"""Throughput of each stage on the BANKING77 example, written to BENCHMARKS.md.

    make bench        (or: .venv/bin/python benchmarks/run.py)

Measures, on the machine at hand: ingest + split of the 10,003 rows, the tiny base-model build,
training steps per second of each phase kind, and generation-based prediction throughput. No peer
is named for the foundation; later issues add side-by-side runs against TRL, cleanlab and others.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import torch
import transformers
import trl
from results import replace_section

from tuneloop.data.prepare import read_and_split
from tuneloop.evaluate.predict import predict_labels
from tuneloop.models import load_model_and_tokenizer
from tuneloop.spec import load_spec
from tuneloop.train.base_model import ensure_base_model
from tuneloop.train.phases import train_phase

REPO = Path(__file__).resolve().parents[1]
TRAIN_STEPS = 40
PREDICT_ROWS = 500


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - began


def main() -> None:
    transformers.logging.disable_progress_bar()
    transformers.logging.set_verbosity_error()
    spec = load_spec(REPO / "examples" / "banking77")
    rows: list[tuple[str, str, str]] = []
    (result, splits), seconds = timed(lambda: read_and_split(spec))
    rows.append(
        ("ingest + split (CSV, 10,003 rows)", f"{result.read / seconds:,.0f} rows/s", f"{seconds:.2f} s")
    )
    with tempfile.TemporaryDirectory() as tmp:
        spec = spec.model_copy(update={"output_dir": Path(tmp)})
        (start, _), seconds = timed(lambda: ensure_base_model(spec, splits))
        rows.append(("tiny base model build (tokenizer + init + save)", "-", f"{seconds:.2f} s"))
        for phase in spec.phases:
            short = phase.model_copy(  # steps alone: evaluation has its own row below
                update={
                    "max_steps": TRAIN_STEPS,
                    "logging_steps": TRAIN_STEPS,
                    "eval_every": None,
                    "early_stopping": None,
                    "gate": [],
                }
            )
            out, seconds = timed(
                lambda short=short, start=start: train_phase(
                    spec, short, splits, start, Path(tmp) / short.name
                )
            )
            rate = out.steps / out.runtime_s
            rows.append(
                (
                    f"train {phase.kind}, batch {phase.batch_size}, {TRAIN_STEPS} steps",
                    f"{rate:.2f} steps/s ({rate * phase.batch_size:.0f} examples/s)",
                    f"{seconds:.1f} s",
                )
            )
            start = out.model_dir
        model, tokenizer = load_model_and_tokenizer(start)
        test = splits["test"][:PREDICT_ROWS]
        _, seconds = timed(
            lambda: predict_labels(
                model,
                tokenizer,
                test,
                spec.label_names,
                spec.evaluation.max_new_tokens,
                spec.evaluation.batch_size,
            )
        )
        rows.append(
            (
                f"predict by generation ({len(test)} rows, batch {spec.evaluation.batch_size})",
                f"{len(test) / seconds:.0f} examples/s",
                f"{seconds:.2f} s",
            )
        )
    write(rows)


def write(rows: list[tuple[str, str, str]]) -> None:
    header = (
        f"## Foundation throughput — {date.today().isoformat()}\n\n"
        f"{os.cpu_count()} CPU cores, {platform.machine()}, torch {torch.__version__}, "
        f"transformers {transformers.__version__}, trl {trl.__version__}. "
        "Command: `make bench`.\n\n| stage | throughput | wall time |\n| --- | --- | --- |\n"
    )
    table = header + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows)
    replace_section("## Foundation throughput", table)
    print(table)


if __name__ == "__main__":
    main()
