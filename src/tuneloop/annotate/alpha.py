"""Krippendorff's alpha, from the coincidence matrix, at the nominal, ordinal, interval and ratio levels,
and over label sets with the MASI distance.

Our own numpy code, because the reference `krippendorff` package is GPL-3.0 (see DESIGN.md); tests
check it against Krippendorff's published example and against that package.

Alpha follows the coincidence-matrix formulation of Krippendorff (2011), "Computing Krippendorff's
Alpha-Reliability": a unit with m ratings contributes each ordered pair of its ratings with weight
1/(m-1), so units rated by any number (>= 2) of coders count, and a unit with one rating is not
pairable and is ignored. Cost is O(units x values^2) in time and O(units x values) in memory, for the
distinct values that occur — fine for label sets and rating scales, not for free-form real numbers.

A multilabel answer is a set, and `masi` compares two sets by the MASI distance (Passonneau 2006)
exactly as NLTK defines it (`nltk.metrics.distance.masi_distance`: 1 - Jaccard x monotonicity, the
monotonicity 1 for equal sets, 2/3 when one holds the other, 1/3 when they overlap, 0 when they are
disjoint), so the figure equals NLTK's `AnnotationTask(data, distance=masi_distance).alpha()`: that
alpha is this same coincidence formula, and it ignores units with one rating as this one does. Two
differences, both where NLTK gives no number: two empty sets are the same answer (distance 0; NLTK
divides 0 by 0), and a matrix whose pairable answers are all one set is NaN, as at every other level
(NLTK returns 1). The ratings are labels of the matrix that are tuples or frozensets of names.

Undefined values are NaN, not errors: alpha is 0/0 when every pairable rating is the same value — no
variation, so agreement can't be told from chance. A per-label table or a bootstrap resample can hit
that on one row; an exception there would lose every other row. Input that can't be measured at all
(fewer than 2 coders, no unit rated twice, an unknown level) raises `AgreementError`.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import numpy as np

from tuneloop.annotate.reliability import AgreementError, MatrixLike, ReliabilityMatrix
from tuneloop.annotate.value_counts import (
    BLOCK_CELLS,
    coders_matrix,
    distinct_values,
    pairable,
    require_pairable,
    value_counts,
)

Level = Literal["nominal", "ordinal", "interval", "ratio", "masi"]
MASI = "masi"  # over label sets: apart from LEVELS, whose ratings are single values
LEVELS: tuple[str, ...] = tuple(level for level in get_args(Level) if level != MASI)


def krippendorff_alpha(data: MatrixLike, level: Level | str = "nominal") -> float:
    """Krippendorff's alpha at `level` (nominal, ordinal, interval, ratio, masi); NaN if undefined.

    Ordinal ranks follow the sorted values (for categorical labels: the label order of the matrix).
    Interval and ratio use the numeric ratings, so they need numeric values or numeric labels.
    """
    counts, domain = pairable_counts(data, level)
    return float(alpha_from(coincidences(counts), domain, level))


def pairable_counts(data: MatrixLike, level: Level | str) -> tuple[np.ndarray, np.ndarray]:
    """What alpha at `level` is computed from: the value counts of the pairable units (units x
    values) and the values they count (for `masi`: the label sets); refused when no unit is rated
    twice."""
    matrix = coders_matrix(data)
    values = level_values(matrix, level)
    domain = distinct_values(values)
    counts = pairable(value_counts(values, domain))
    require_pairable(counts, "Krippendorff's alpha")
    if level == MASI:
        return counts, _label_sets(matrix, domain)
    return counts, domain


def level_values(matrix: ReliabilityMatrix, level: str) -> np.ndarray:
    """The ratings alpha at `level` works on: the numeric ones for interval and ratio."""
    if level not in (*LEVELS, MASI):
        raise AgreementError(
            f"unknown level of measurement {level!r}; use one of {', '.join(LEVELS)} or {MASI} (label sets)"
        )
    values = matrix.numeric() if level in ("interval", "ratio") else matrix.values
    if level == "ratio" and np.nanmin(values, initial=0.0) < 0:
        raise AgreementError("ratio agreement needs non-negative ratings (a ratio scale has a true zero)")
    return values


def _label_sets(matrix: ReliabilityMatrix, domain: np.ndarray) -> np.ndarray:
    """The label sets that the codes in `domain` stand for, as frozensets (an object array)."""
    labels = matrix.labels or ()
    if not labels or not all(isinstance(label, tuple | frozenset) for label in labels):
        raise AgreementError(
            "masi agreement compares label sets: the ratings must be tuples or frozensets of labels, "
            f"not {', '.join(repr(label) for label in labels[:3]) or 'numbers'}"
        )
    out = np.empty(len(domain), dtype=object)
    out[:] = [frozenset(labels[int(code)]) for code in domain]
    return out


def masi_distance(a: frozenset[Any], b: frozenset[Any]) -> float:
    """NLTK's MASI distance of two label sets; 0 for two empty sets (the same answer)."""
    if a == b:
        return 0.0
    shared, union = len(a & b), len(a | b)
    if shared == min(len(a), len(b)):
        monotonicity = 2 / 3
    elif shared > 0:
        monotonicity = 1 / 3
    else:
        monotonicity = 0.0
    return 1 - shared / union * monotonicity


def coincidences(counts: np.ndarray) -> np.ndarray:
    """Krippendorff's coincidence matrix o[c, k] from the counts of pairable units."""
    k = counts.shape[1]
    out = np.zeros((k, k))
    block = max(1, BLOCK_CELLS // max(k, 1))
    for start in range(0, len(counts), block):
        c = counts[start : start + block].astype(float)
        weighted = c / (c.sum(axis=1, keepdims=True) - 1)
        out += weighted.T @ c
        out -= np.diag(weighted.sum(axis=0))
    return out


def alpha_from(coincidences: np.ndarray, domain: np.ndarray, level: str) -> np.ndarray:
    """Alpha from (a batch of) coincidence matrices; NaN where expected disagreement is 0."""
    marginals = coincidences.sum(axis=-1)
    n = marginals.sum(axis=-1)
    delta = _delta(domain, level, marginals)
    observed = (coincidences * delta).sum(axis=(-2, -1))
    expected = (marginals[..., :, None] * marginals[..., None, :] * delta).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = 1.0 - (n - 1) * observed / expected
    return np.where(expected > 0, alpha, np.nan)


def _delta(domain: np.ndarray, level: str, marginals: np.ndarray) -> np.ndarray:
    """Squared difference function delta^2[c, k] (batched over leading axes of `marginals`)."""
    if level == "nominal":
        return 1.0 - np.eye(len(domain))
    if level == MASI:
        return np.array([[masi_distance(a, b) for b in domain] for a in domain])
    if level == "interval":
        return np.subtract.outer(domain, domain) ** 2
    if level == "ratio":
        total = np.add.outer(domain, domain)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(total == 0, 0.0, np.subtract.outer(domain, domain) / total)
        return ratio**2
    # ordinal: the marginal mass between the two ranks, less half of the two ends.
    index = np.arange(len(domain))
    lo, hi = np.minimum.outer(index, index), np.maximum.outer(index, index)
    cum = np.cumsum(marginals, axis=-1)
    between = cum[..., hi] - cum[..., lo] + marginals[..., lo]
    ends = (marginals[..., :, None] + marginals[..., None, :]) / 2
    return np.asarray((between - ends) ** 2)
