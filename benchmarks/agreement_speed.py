"""Krippendorff's alpha: tuneloop's own code against the `krippendorff` package, same matrix, one run.

    .venv/bin/python benchmarks/agreement_speed.py

100,000 units x 5 coders of seeded synthetic ratings (a true value per unit, 70% of ratings copy it,
the rest are uniform on 1..7; about 10% missing), alpha at the nominal and interval levels. Each
side runs REPEATS times and the best time counts (the machine is shared). Our seeded bootstrap
interval (1,000 resamples) is timed once. The `krippendorff`
package is GPL-3.0, which is why it appears only here and in tests, never under src/.
Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from typing import Any

import krippendorff
import numpy as np
from results import replace_section

from tuneloop.annotate.alpha import krippendorff_alpha
from tuneloop.annotate.bootstrap import ConfidenceInterval, bootstrap_alpha

UNITS, CODERS, VALUES, MISSING, SEED, REPEATS = 100_000, 5, 7, 0.10, 0, 7
MARKER = "## Agreement: Krippendorff's alpha"


def synthetic() -> np.ndarray:
    rng = np.random.default_rng(SEED)
    truth = rng.integers(1, VALUES + 1, UNITS)
    copy = rng.random((CODERS, UNITS)) < 0.7
    ratings = np.where(copy, truth, rng.integers(1, VALUES + 1, (CODERS, UNITS))).astype(float)
    ratings[rng.random(ratings.shape) < MISSING] = np.nan
    return ratings


def best_time(fn: Callable[[], float]) -> tuple[float, float]:
    times, value = [], float("nan")
    for _ in range(REPEATS):
        began = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - began)
    return min(times), value


def main() -> None:
    data = synthetic()
    rows: list[dict[str, Any]] = []
    for level in ("nominal", "interval"):
        ours_s, ours = best_time(lambda level=level: krippendorff_alpha(data, level))
        theirs_s, theirs = best_time(
            lambda level=level: float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
        )
        rows.append({"level": level, "ours_s": ours_s, "theirs_s": theirs_s, "ours": ours, "theirs": theirs})
    began = time.perf_counter()
    interval = bootstrap_alpha(data, "interval", n_boot=1000, seed=SEED)
    boot_s = time.perf_counter() - began
    write(rows, float(np.isnan(data).mean()), boot_s, interval)


def write(rows: list[dict[str, Any]], missing: float, boot_s: float, interval: ConfidenceInterval) -> None:
    table = "".join(
        f"| {r['level']} | {r['ours_s'] * 1000:,.0f} ms | {r['theirs_s'] * 1000:,.0f} ms "
        f"| {r['theirs_s'] / r['ours_s']:.1f}x | {r['ours']:.12f} | {abs(r['ours'] - r['theirs']):.1e} |\n"
        for r in rows
    )
    section = (
        f"{MARKER}\n\n"
        f"{UNITS:,} units x {CODERS} coders, values 1..{VALUES}, {missing:.1%} missing (seed {SEED}); "
        f"best of {REPEATS}. {platform.machine()}, {os.cpu_count()} CPU cores (shared), "
        f"Python {platform.python_version()}, numpy {np.__version__}, krippendorff "
        f"{_version('krippendorff')}. Command: `.venv/bin/python benchmarks/agreement_speed.py`.\n\n"
        "| level | tuneloop | krippendorff package | speed-up | tuneloop alpha | abs. difference |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        f"{table}\n"
        "Both compute the same coincidence-matrix alpha; the values agree to the difference shown "
        "(floating-point summation order).\n\n"
        f"Bootstrap 95% interval of interval alpha, 1,000 resamples of units (tuneloop only; the package "
        f"has none): {boot_s:.2f} s, [{interval.low:.4f}, {interval.high:.4f}] over {interval.n_units:,} "
        "pairable units.\n"
    )
    replace_section(MARKER, section)
    print(section)


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()
