"""Agreement between coders as pairs of ratings: percent agreement, Cohen's and Fleiss' kappa.

Our own numpy code, checked in tests against sklearn's `cohen_kappa_score` and statsmodels'
`fleiss_kappa`. Like alpha, kappa is NaN, not an error, when chance agreement is 1 (every rating the
same value); input that can't be measured (fewer than 2 coders, no shared unit, unknown weights)
raises `AgreementError`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Literal

import numpy as np

from tuneloop.annotate.reliability import AgreementError, MatrixLike, ReliabilityMatrix
from tuneloop.annotate.value_counts import (
    coders_matrix,
    distinct_values,
    pairable,
    require_pairable,
    value_counts,
)


def percent_agreement(data: MatrixLike) -> float:
    """Share of agreeing coder pairs per unit, averaged over the units rated at least twice.

    Each unit weighs the same whatever its number of coders (a unit rated by 2 has one pair, by 4
    six); pairs compare exact values, so this is a nominal measure.
    """
    matrix = coders_matrix(data)
    counts = pairable(value_counts(matrix.values, distinct_values(matrix.values))).astype(float)
    require_pairable(counts, "percent agreement")
    m = counts.sum(axis=1)
    return float(np.mean((counts * (counts - 1)).sum(axis=1) / (m * (m - 1))))


def cohen_kappa(
    data: MatrixLike,
    coders: tuple[Hashable, Hashable] | None = None,
    weights: Literal["linear", "quadratic"] | None = None,
) -> float:
    """Cohen's kappa between two coders over the units both rated; NaN if chance agreement is 1.

    With more than two coders, name the two in `coders`. `weights` (linear, quadratic) penalise a
    disagreement by its distance in rank, as sklearn's `cohen_kappa_score` does.
    """
    matrix = coders_matrix(data)
    if coders is None:
        if len(matrix.coders) != 2:
            raise AgreementError(
                f"Cohen's kappa compares two coders; the matrix has {len(matrix.coders)}: pass coders=(a, b)"
            )
        i, j = 0, 1
    else:
        i, j = (_coder_index(matrix, c) for c in coders)
    a, b = matrix.values[i], matrix.values[j]
    both = ~np.isnan(a) & ~np.isnan(b)
    if not both.any():
        raise AgreementError(
            f"coders {matrix.coders[i]!r} and {matrix.coders[j]!r} rated no unit in common: no kappa"
        )
    domain = distinct_values(np.concatenate([a[both], b[both]]))
    return kappa_from_confusion(confusion_table(a[both], b[both], domain), weights)


def fleiss_kappa(data: MatrixLike, raters: int | None = None) -> float:
    """Fleiss' kappa; needs the same number of ratings on every unit it uses.

    Fleiss' formula assumes each unit was rated n times. With `raters=None` every rated unit must
    have the same count, or this raises and says what counts it found; `raters=n` uses only the
    units rated exactly n times (and says so if there are none). For varying numbers of coders,
    Krippendorff's alpha is the coefficient built for it.
    """
    matrix = coders_matrix(data)
    counts = value_counts(matrix.values, distinct_values(matrix.values))
    per_unit = counts.sum(axis=1)
    if raters is None:
        found = np.unique(per_unit[per_unit > 0])
        if len(found) > 1:
            tally = ", ".join(f"{int((per_unit == n).sum())} units with {n}" for n in found)
            raise AgreementError(
                f"Fleiss' kappa needs the same number of ratings on every unit; found {tally}. "
                "Pass raters=N to use only the units rated N times, or use Krippendorff's alpha"
            )
        raters = int(found[0]) if len(found) else 0
    if raters < 2:
        raise AgreementError(f"Fleiss' kappa needs at least 2 ratings per unit; got raters={raters}")
    table = counts[per_unit == raters].astype(float)
    if len(table) == 0:
        raise AgreementError(f"no unit has exactly {raters} ratings, so Fleiss' kappa has nothing to use")
    observed = float(np.mean(((table * table).sum(axis=1) - raters) / (raters * (raters - 1))))
    shares = table.sum(axis=0) / table.sum()
    chance = float((shares * shares).sum())
    if chance == 1.0:
        return float("nan")
    return (observed - chance) / (1.0 - chance)


def kappa_from_confusion(confusion: np.ndarray, weights: str | None = None) -> float:
    """Cohen's kappa from a square table of rating pairs (rows: one rater, columns: the other)."""
    k = len(confusion)
    index = np.arange(k)
    if weights is None:
        w = 1.0 - np.eye(k)
    elif weights == "linear":
        w = np.abs(np.subtract.outer(index, index)).astype(float)
    elif weights == "quadratic":
        w = np.subtract.outer(index, index).astype(float) ** 2
    else:
        raise AgreementError(f"unknown kappa weights {weights!r}; use None, 'linear' or 'quadratic'")
    total = confusion.sum()
    expected = np.outer(confusion.sum(axis=1), confusion.sum(axis=0)) / total
    disagree_expected = float((w * expected).sum())
    if disagree_expected == 0:
        return float("nan")
    return 1.0 - float((w * confusion).sum()) / disagree_expected


def confusion_table(a: np.ndarray, b: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """The table of rating pairs of two aligned rating vectors, over the sorted values `domain`."""
    k = len(domain)
    ia, ib = np.searchsorted(domain, a), np.searchsorted(domain, b)
    return np.bincount(ia * k + ib, minlength=k * k).reshape(k, k).astype(float)


def _coder_index(matrix: ReliabilityMatrix, coder: Hashable) -> int:
    if coder in matrix.coders:
        return matrix.coders.index(coder)
    raise AgreementError(f"no coder {coder!r}; coders are {list(matrix.coders)!r}")
