"""Label scoring by log-likelihood vs naive per-example generation, on the same 1,000 BANKING77 rows.

    .venv/bin/python benchmarks/label_scoring.py [--model RUN/phases/2-task/model] [--rows 1000] [--tag NAME]

The model defaults to the one `make demo` trains (demo-project/runs/run-001/phases/2-task/model).

The rows are the first `--rows` of the run's held-out test split (BANKING77 rows of
examples/banking77/data/train.csv the model never trained on); the run is the one the model
directory sits in. Naive generation: one example at a time, greedy, `max_new_tokens` from the
model's task card, the output mapped by the lenient rule (its strict accuracy is shown too).
Batched generation (the evaluator's old default) is shown for reference. Each method runs once
untimed first. The section is kept per kind of device (CPU, GPU). Goal: log-likelihood
scoring at least 10x faster than naive generation, with the same or better accuracy.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch
import transformers
from results import replace_section

from tuneloop.data.version import DatasetVersion
from tuneloop.evaluate.parsing import Rule
from tuneloop.evaluate.predict import Prediction, Scoring, predict_labels
from tuneloop.evaluate.scoring_report import scoring_report
from tuneloop.models import load_for_inference
from tuneloop.task_card import TaskCard

REPO = Path(__file__).resolve().parents[1]
DEMO_MODEL = REPO / "demo-project" / "runs" / "run-001" / "phases" / "2-task" / "model"  # `make demo`
MARKER = "## Label scoring: log-likelihood vs generation"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEMO_MODEL)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--tag", default="", help="kept in a section of its own, e.g. smollm2")
    args = parser.parse_args()
    if not args.model.is_dir():
        parser.error(f"no model at {args.model}: run `make demo` first, or pass --model")
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(os.cpu_count() or 1)
    card = TaskCard.load(args.model)
    rows = DatasetVersion.load(args.model.parents[2] / "data").split("test")[: args.rows]
    model, tokenizer = load_for_inference(str(args.model))

    def run(scoring: Scoring, batch_size: int) -> tuple[list[Prediction], float]:
        began = time.perf_counter()
        out = predict_labels(
            model, tokenizer, rows, card.labels, card.max_new_tokens, batch_size, scoring=scoring
        )
        return out, time.perf_counter() - began

    for scoring in ("loglik", "generate"):  # warm-up, untimed: first calls pay for kernels and caches
        predict_labels(
            model,
            tokenizer,
            rows[: args.batch_size],
            card.labels,
            card.max_new_tokens,
            args.batch_size,
            show_progress=False,
            scoring=scoring,
        )
    loglik, loglik_s = run("loglik", args.batch_size)
    naive, naive_s = run("generate", 1)
    batched, batched_s = run("generate", args.batch_size)
    gpu = torch.cuda.is_available()
    device = torch.cuda.get_device_name() if gpu else f"{os.cpu_count()} CPU cores"
    marker = f"{MARKER}, {'GPU' if gpu else 'CPU'}" + (f", {args.tag}" if args.tag else "")
    lines = [
        _line("log-likelihood scoring", args.batch_size, loglik, loglik_s),
        _line("naive generate, one example at a time", 1, naive, naive_s),
        _line("generate, batched", args.batch_size, batched, batched_s),
    ]
    agree = np.mean([a.predicted == b.predicted for a, b in zip(loglik, naive, strict=True)])
    section = (
        f"{marker} — {date.today().isoformat()}\n\n"
        f"{len(rows):,} held-out BANKING77 rows ({len(card.labels)} labels), model `{args.model}`; "
        f"{device}, {platform.machine()}, torch {torch.__version__}, "
        f"transformers {transformers.__version__}. "
        f"Command: `.venv/bin/python benchmarks/label_scoring.py --model {args.model} --rows {args.rows}"
        + (f" --tag {args.tag}" if args.tag else "")
        + "`.\n\n"
        "| method | batch | wall time | examples/s | accuracy (lenient) | accuracy (strict) |\n"
        "| --- | --- | --- | --- | --- | --- |\n" + "".join(lines) + "\n"
        f"Log-likelihood vs naive generate: **{naive_s / loglik_s:.1f}x** faster (goal 10x), accuracy "
        f"{_accuracy(loglik, 'lenient'):.4f} vs {_accuracy(naive, 'lenient'):.4f}; "
        f"vs batched generate: {batched_s / loglik_s:.1f}x. "
        f"The two agree on {agree:.1%} of rows.\n"
    )
    replace_section(marker, section)
    print(section)


def _line(name: str, batch: int, predictions: list[Prediction], seconds: float) -> str:
    strict = "-" if predictions[0].parsed is None else f"{_accuracy(predictions, 'strict'):.4f}"
    return (
        f"| {name} | {batch} | {seconds:.1f} s | {len(predictions) / seconds:.0f} | "
        f"{_accuracy(predictions, 'lenient'):.4f} | {strict} |\n"
    )


def _accuracy(predictions: list[Prediction], rule: Rule) -> float:
    """Accuracy under a parsing rule, as the evaluator reports it (log-likelihood: the labels)."""
    if predictions[0].parsed is None:
        return float(np.mean([p.correct for p in predictions]))
    return scoring_report(predictions, "generate", rule)["parsing"][rule]["accuracy"]


if __name__ == "__main__":
    main()
