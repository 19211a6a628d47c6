"""Which labels the coders apply consistently: nominal alpha of each label's present/absent decision.

A label nobody confuses scores near 1 even when overall alpha is low; a label given at random scores
near 0. That points the guideline work at the labels that need it. A single-label rating gives a
label or not; a multilabel rating (a set) holds it or not, so one binary matrix per label serves
both, and for a multilabel task these are the per-label decisions people actually make.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from tuneloop.annotate.alpha import alpha_from, coincidences
from tuneloop.annotate.reliability import MatrixLike, ReliabilityMatrix
from tuneloop.annotate.value_counts import (
    coders_matrix,
    distinct_values,
    pairable,
    require_pairable,
    value_counts,
)

BINARY = np.array([0.0, 1.0])


@dataclass(frozen=True)
class LabelAgreement:
    """Alpha for one label against all the others (ratings binarised), and how often it was given."""

    label: Any
    alpha: float
    n_ratings: int


def is_set_valued(matrix: ReliabilityMatrix) -> bool:
    """Whether the ratings are label sets (a multilabel task), not single labels."""
    return bool(matrix.labels) and all(isinstance(v, tuple | frozenset) for v in matrix.labels or ())


def members(matrix: ReliabilityMatrix) -> list[Any]:
    """The labels the ratings give: the values, or for label sets every label in any set (sorted)."""
    if is_set_valued(matrix):
        return sorted({label for value in matrix.labels or () for label in value})
    return [matrix.label(value) for value in distinct_values(matrix.values)]


def presence(matrix: ReliabilityMatrix, labels: Collection[Any]) -> ReliabilityMatrix:
    """1 where a rating gives one of `labels` (holds one, for a label set), 0 where it doesn't, NaN
    where there is no rating: the binary decision "does this apply?"."""
    values = matrix.values
    rated = ~np.isnan(values)
    wanted = set(labels)
    if matrix.labels is None:  # numeric ratings are their own labels
        binary = np.isin(values, [float(v) for v in wanted])
    else:
        set_valued = is_set_valued(matrix)
        given = [bool(wanted & set(v)) if set_valued else v in wanted for v in matrix.labels]
        binary = np.isin(values, np.flatnonzero(given).astype(float))
    return ReliabilityMatrix(np.where(rated, binary.astype(float), np.nan), matrix.coders, matrix.units)


def alpha_per_label(data: MatrixLike) -> list[LabelAgreement]:
    """Nominal alpha of each label's presence; undefined (NaN) for a label given on every pairable
    rating or on none."""
    matrix = coders_matrix(data)
    out = []
    for label in members(matrix):
        binary = presence(matrix, [label]).values
        counts = pairable(value_counts(binary, BINARY))
        require_pairable(counts, "per-label alpha")
        alpha = float(alpha_from(coincidences(counts), BINARY, "nominal"))
        out.append(LabelAgreement(label, alpha, int(np.nansum(binary))))
    return out
