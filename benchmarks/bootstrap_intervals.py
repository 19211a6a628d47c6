"""Bootstrap intervals of the classification metrics: tuneloop's vectorised resampling against
scoring each resample with `metrics.classification_metrics` (sklearn), same resampled rows.

    .venv/bin/python benchmarks/bootstrap_intervals.py

1,000 seeded synthetic predictions over 77 labels (BANKING77's size; 70% right, 2% invalid),
1,000 resamples, the four metrics of `spec.Metric`. Both sides score the very same index matrix,
so their intervals must agree exactly: at 13 rows a label these resamples hold every label (one
that missed a label would count it at its value on all the rows, intervals.py, where sklearn on
the resample drops it); best of REPEATS (the machine is shared). Also timed: one
paired comparison (McNemar and paired bootstrap on 4 slice groups plus the whole split), the work
`tuneloop evaluate --run` adds per compared model. Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
from results import replace_section

from tuneloop.evaluate.compare import compare_predictions
from tuneloop.evaluate.intervals import encode, metric_values, percentile_interval, resample_rows
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.spec import Evaluation, SliceSpec

ROWS, LABELS, RESAMPLES, SEED, REPEATS = 1000, 77, 1000, 0, 3
METRICS = ["accuracy", "macro_f1", "macro_recall", "macro_precision"]
T = TypeVar("T")
MARKER = "## Evaluation: bootstrap intervals and paired comparisons"


def synthetic(right: float, seed: int) -> list[Prediction]:
    rng = np.random.default_rng(seed)
    labels = [f"intent_{i}" for i in range(LABELS)]
    out = []
    for i in range(ROWS):
        gold = labels[i % LABELS]
        draw = rng.random()
        predicted = gold if draw < right else None if draw > 0.98 else labels[rng.integers(LABELS)]
        words = " ".join(["word"] * int(rng.integers(2, 30)))
        out.append(Prediction(f"r{i}", words, gold, predicted or "", predicted))
    return out


def main() -> None:
    predictions = synthetic(0.7, SEED)
    labels = sorted({p.gold for p in predictions if p.gold})
    data = encode(predictions, labels)
    rows = np.concatenate(list(resample_rows(ROWS, RESAMPLES, SEED)))

    def vectorised() -> dict[str, list[float]]:
        values = metric_values(data, rows, METRICS)
        return {m: percentile_interval(values[m]) for m in METRICS}

    def one_by_one() -> dict[str, list[float]]:
        scored = [classification_metrics([predictions[i] for i in picked], labels) for picked in rows]
        return {m: percentile_interval(np.array([s[m] for s in scored])) for m in METRICS}

    ours_s, ours = best(vectorised)
    theirs_s, theirs = best(one_by_one)
    gap = max(abs(a - b) for m in METRICS for a, b in zip(ours[m], theirs[m], strict=True))
    other = synthetic(0.66, SEED + 1)
    evaluation = Evaluation(
        metrics=["accuracy", "macro_f1", "macro_recall"],
        bootstrap=RESAMPLES,
        slices=[SliceSpec(name="length", length_words=[8, 16])],
    )
    compare_s, tests = best(lambda: compare_predictions(predictions, other, labels, evaluation, SEED))
    write(ours_s, theirs_s, gap, ours, compare_s, len(tests))


def best(fn: Callable[[], T]) -> tuple[float, T]:
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - began)
    return min(times), value


def write(
    ours_s: float, theirs_s: float, gap: float, ours: dict[str, list[float]], compare_s: float, tests: int
) -> None:
    intervals = ", ".join(f"{m} [{lo:.3f}, {hi:.3f}]" for m, (lo, hi) in ours.items())
    section = (
        f"{MARKER}\n\n"
        f"{ROWS:,} seeded synthetic predictions over {LABELS} labels, {RESAMPLES:,} resamples, "
        f"{len(METRICS)} metrics; best of {REPEATS}. {platform.machine()}, {os.cpu_count()} CPU cores "
        f"(shared), Python {platform.python_version()}, numpy {np.__version__}. "
        "Command: `.venv/bin/python benchmarks/bootstrap_intervals.py`.\n\n"
        "| | time | speed-up |\n| --- | --- | --- |\n"
        f"| tuneloop `intervals.metric_values` (vectorised bincounts) | {ours_s * 1000:,.0f} ms "
        f"| {theirs_s / ours_s:,.0f}x |\n"
        f"| `classification_metrics` (sklearn) per resample | {theirs_s:,.2f} s | 1x |\n\n"
        f"Same index matrix on both sides: the interval bounds differ by at most {gap:.1e}. "
        f"Intervals: {intervals}.\n\n"
        f"One paired comparison (`compare.compare_predictions`: {tests} tests, McNemar and paired "
        f"bootstrap over the whole split and 3 length groups, Holm): {compare_s:.2f} s.\n"
    )
    replace_section(MARKER, section)
    print(section)


if __name__ == "__main__":
    main()
