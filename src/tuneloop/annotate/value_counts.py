"""The counts every agreement coefficient starts from: which values were rated, and how many coders
gave each unit each value.

Alpha, kappa, percent agreement and the bootstrap all reduce a `ReliabilityMatrix` (coders x units,
NaN = not rated) to counts[u, v] over the distinct values that occur, so the cost grows with units x
values, not with the range of the values. A unit with fewer than 2 ratings is not pairable: it can't
show agreement, and the coefficients leave it out.
"""

from __future__ import annotations

import numpy as np

from tuneloop.annotate.reliability import AgreementError, MatrixLike, ReliabilityMatrix

#: Units per block when counting values, so memory stays bounded on big matrices.
BLOCK_CELLS = 1 << 22


def coders_matrix(data: MatrixLike) -> ReliabilityMatrix:
    """`data` as a ReliabilityMatrix of at least 2 coders (fewer can't agree or disagree)."""
    matrix = ReliabilityMatrix.coerce(data)
    if matrix.values.shape[0] < 2:
        raise AgreementError(
            f"agreement needs at least 2 coders; got {matrix.values.shape[0]} "
            "(rows are coders, columns are units)"
        )
    return matrix


def _small_integers(present: np.ndarray) -> bool:
    """Whole numbers in a short range (labels as codes, rating scales): indexable without sorting."""
    if len(present) == 0:
        return False
    low, high = present.min(), present.max()
    return bool(high - low < BLOCK_CELLS and np.array_equal(present, np.floor(present)))


def distinct_values(values: np.ndarray) -> np.ndarray:
    """The distinct rated values, sorted."""
    present = values[~np.isnan(values)]
    if _small_integers(present):
        low = present.min()
        return np.flatnonzero(np.bincount((present - low).astype(np.int64))) + low
    return np.unique(present)


def _index(present: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """Position of each value in `domain` (a lookup table for small integers, else binary search)."""
    if _small_integers(domain):
        low = int(domain[0])
        table = np.zeros(int(domain[-1]) - low + 1, dtype=np.int64)
        table[(domain - low).astype(np.int64)] = np.arange(len(domain))
        return table[(present - low).astype(np.int64)]
    return np.searchsorted(domain, present)


def value_counts(values: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """counts[u, v]: how many coders gave unit u the value domain[v]."""
    n_units, k = values.shape[1], len(domain)
    rated = ~np.isnan(values)
    unit_index = np.broadcast_to(np.arange(n_units), values.shape)[rated]
    value_index = _index(values[rated], domain)
    return np.bincount(unit_index * k + value_index, minlength=n_units * k).reshape(n_units, k)


def pairable(counts: np.ndarray) -> np.ndarray:
    """The rows of `counts` of units rated at least twice."""
    return counts[counts.sum(axis=1) >= 2]


def require_pairable(counts: np.ndarray, what: str) -> None:
    """Refuse, naming `what` needed it, when no unit is pairable."""
    if len(counts) == 0:
        raise AgreementError(
            f"{what} needs units rated by at least 2 coders; no unit is (a unit with one rating can't "
            "show agreement)"
        )
