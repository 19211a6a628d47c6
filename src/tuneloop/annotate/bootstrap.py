"""How sure an agreement figure is: percentile bootstrap intervals over units.

`bootstrap_alpha` resamples alpha fast enough for 1,000 resamples of a big matrix (a few matrix
products, not 1,000 alpha computations); `bootstrap` resamples any statistic, one call per
resample. Both resample the units rated at least twice — the others carry no information about
agreement — and leave resamples where the statistic is undefined (NaN) out of the percentiles.
`bootstrap_difference` compares two groups' rates (the anchoring delta: answers with a suggestion
shown against blind ones), each group resampled on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tuneloop.annotate.alpha import Level, alpha_from, coincidences, pairable_counts
from tuneloop.annotate.reliability import AgreementError, MatrixLike, ReliabilityMatrix
from tuneloop.annotate.value_counts import (
    BLOCK_CELLS,
    coders_matrix,
    require_pairable,
)


@dataclass(frozen=True)
class ConfidenceInterval:
    """A bootstrap percentile interval over units; `n_units` is how many units the estimate rests on."""

    estimate: float
    low: float
    high: float
    n_units: int
    n_boot: int
    confidence: float


def bootstrap_alpha(
    data: MatrixLike,
    level: Level | str = "nominal",
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> ConfidenceInterval:
    """Alpha with a percentile bootstrap interval over pairable units (resampled with replacement).

    Vectorised: units with the same value counts (the same pattern of ratings) contribute the same
    coincidences, and there are few patterns for a label set and a handful of coders. Each
    pattern's coincidence matrix is computed once, and each resample is a weighted sum of them
    (weights = how often the resample drew a unit of that pattern), so 1,000 resamples cost a few
    matrix products instead of 1,000 alpha computations. Resamples where alpha is undefined (no
    variation) are left out of the percentiles.
    """
    counts, domain = pairable_counts(data, level)
    n, k = counts.shape
    estimate = float(alpha_from(coincidences(counts), domain, level))
    patterns, pattern_of = np.unique(counts, axis=0, return_inverse=True)
    patterns = patterns.astype(float)
    weighted = patterns / (patterns.sum(axis=1, keepdims=True) - 1)
    rng = np.random.default_rng(seed)
    samples = np.empty(n_boot)
    block = max(1, BLOCK_CELLS // (k * k))
    draw_block = max(1, BLOCK_CELLS // max(len(patterns), k * k))  # bounds `resampled` too
    for start in range(0, n_boot, draw_block):
        size = min(draw_block, n_boot - start)
        draws = np.stack(
            [np.bincount(pattern_of[rng.integers(0, n, n)], minlength=len(patterns)) for _ in range(size)]
        ).astype(float)
        resampled = np.zeros((size, k * k))
        for p in range(0, len(patterns), block):
            c, w = patterns[p : p + block], weighted[p : p + block]
            shares = w[:, :, None] * c[:, None, :]
            shares[:, np.arange(k), np.arange(k)] -= w
            resampled += draws[:, p : p + block] @ shares.reshape(len(c), k * k)
        samples[start : start + size] = alpha_from(resampled.reshape(size, k, k), domain, level)
    return _interval(estimate, samples, n, confidence)


def bootstrap(
    data: MatrixLike,
    statistic: Callable[[ReliabilityMatrix], float],
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> ConfidenceInterval:
    """Percentile bootstrap of any agreement statistic over the units rated at least twice.

    One call of `statistic` per resample (use `bootstrap_alpha` for alpha, which is vectorised).
    Units with fewer than 2 ratings carry no information about agreement, so they are dropped
    before resampling and `n_units` counts the rest.
    """
    matrix = coders_matrix(data)
    keep = np.flatnonzero((~np.isnan(matrix.values)).sum(axis=0) >= 2)
    if len(keep) == 0:
        require_pairable(np.zeros((0, 1)), "the bootstrap")

    def on(columns: np.ndarray) -> ReliabilityMatrix:
        units = tuple(matrix.units[c] for c in columns)
        return ReliabilityMatrix(matrix.values[:, columns], matrix.coders, units, matrix.labels)

    estimate = statistic(on(keep))
    rng = np.random.default_rng(seed)
    samples = np.empty(n_boot)
    for b in range(n_boot):
        try:
            samples[b] = statistic(on(keep[rng.integers(0, len(keep), len(keep))]))
        except AgreementError:  # e.g. two coders who share no unit in this resample
            samples[b] = np.nan
    return _interval(float(estimate), samples, len(keep), confidence)


def bootstrap_difference(
    a: np.ndarray, b: np.ndarray, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> ConfidenceInterval:
    """mean(a) - mean(b) of two independent samples (0/1 outcomes or any values) with a percentile
    interval, each group resampled with replacement within itself; `n_units` counts both. An
    empty group gives NaN throughout."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return ConfidenceInterval(np.nan, np.nan, np.nan, len(a) + len(b), n_boot, confidence)
    rng = np.random.default_rng(seed)
    samples = np.array(
        [
            a[rng.integers(0, len(a), len(a))].mean() - b[rng.integers(0, len(b), len(b))].mean()
            for _ in range(n_boot)
        ]
    )
    return _interval(float(a.mean() - b.mean()), samples, len(a) + len(b), confidence)


def _interval(estimate: float, samples: np.ndarray, n_units: int, confidence: float) -> ConfidenceInterval:
    finite = samples[np.isfinite(samples)]
    tail = (1 - confidence) / 2 * 100
    if len(finite) == 0:
        return ConfidenceInterval(estimate, np.nan, np.nan, n_units, len(samples), confidence)
    low, high = (float(x) for x in np.percentile(finite, [tail, 100 - tail]))
    return ConfidenceInterval(estimate, low, high, n_units, len(samples), confidence)
