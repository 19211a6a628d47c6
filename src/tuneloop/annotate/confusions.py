"""Which labels annotators confuse with each other, with units to show: input to the next guidelines.

An overall alpha says *that* people disagree; the guideline author needs to know *where*. A pair of
labels counts once per unit on which both were given (by different coders), so one unit with five
annotators does not outweigh five units with two; `rating_pairs` adds how many coder pairs split that
way, for a finer tie-break and for units with many coders.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tuneloop.annotate.reliability import MatrixLike, ReliabilityMatrix


@dataclass(frozen=True)
class ConfusedPair:
    """Two labels given to the same units by different coders, how often, and some of those units."""

    labels: tuple[Any, Any]
    units: int
    rating_pairs: int
    examples: tuple[Hashable, ...]


def confused_pairs(data: MatrixLike, examples: int = 3, top: int | None = None) -> list[ConfusedPair]:
    """Unordered label pairs by the number of units where coders split between them, most first.

    Ties in count go by `rating_pairs`, then by label order, so the output is stable. `examples`
    unit ids per pair are the first such units in matrix order.
    """
    matrix = ReliabilityMatrix.coerce(data)
    values = matrix.values
    rated = ~np.isnan(values)
    classes = np.unique(values[rated])
    k = len(classes)
    unit_index = np.broadcast_to(np.arange(values.shape[1]), values.shape)[rated]
    counts = np.bincount(
        unit_index * k + np.searchsorted(classes, values[rated]), minlength=values.shape[1] * k
    ).reshape(values.shape[1], k)
    present = (counts > 0).astype(np.int64)
    units_both = present.T @ present
    rating_pairs = counts.T.astype(np.int64) @ counts
    a, b = np.triu_indices(k, 1)
    keep = units_both[a, b] > 0
    a, b = a[keep], b[keep]
    order = np.lexsort((b, a, -rating_pairs[a, b], -units_both[a, b]))
    if top is not None:
        order = order[:top]
    out = []
    for i, j in zip(a[order], b[order], strict=True):
        where = np.flatnonzero(present[:, i] & present[:, j])[:examples]
        out.append(
            ConfusedPair(
                labels=(matrix.label(classes[i]), matrix.label(classes[j])),
                units=int(units_both[i, j]),
                rating_pairs=int(rating_pairs[i, j]),
                examples=tuple(matrix.units[u] for u in where),
            )
        )
    return out
