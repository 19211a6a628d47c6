"""Which labels the coders apply consistently: nominal alpha of each label against all the others.

A label nobody confuses scores near 1 even when overall alpha is low; a label given at random scores
near 0. That points the guideline work at the labels that need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tuneloop.annotate.alpha import alpha_from, coincidences
from tuneloop.annotate.reliability import MatrixLike
from tuneloop.annotate.value_counts import (
    coders_matrix,
    distinct_values,
    pairable,
    require_pairable,
    value_counts,
)


@dataclass(frozen=True)
class LabelAgreement:
    """Alpha for one label against all the others (ratings binarised), and how often it was given."""

    label: Any
    alpha: float
    n_ratings: int


def alpha_per_label(data: MatrixLike) -> list[LabelAgreement]:
    """Nominal alpha of each label against the rest; undefined (NaN) for a label given on every
    pairable rating or on none."""
    matrix = coders_matrix(data)
    values = matrix.values
    rated = ~np.isnan(values)
    out = []
    for value in distinct_values(values):
        binary = np.where(rated, (values == value).astype(float), np.nan)
        counts = pairable(value_counts(binary, np.array([0.0, 1.0])))
        require_pairable(counts, "per-label alpha")
        alpha = float(alpha_from(coincidences(counts), np.array([0.0, 1.0]), "nominal"))
        out.append(LabelAgreement(matrix.label(value), alpha, int((values == value).sum())))
    return out
