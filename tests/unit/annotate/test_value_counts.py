"""The value counts every coefficient starts from, by the lookup table (small integers) and by sorting."""

from __future__ import annotations

import numpy as np
import pytest

from tuneloop.annotate.reliability import AgreementError
from tuneloop.annotate.value_counts import (
    coders_matrix,
    distinct_values,
    pairable,
    require_pairable,
    value_counts,
)

NAN = np.nan


@pytest.mark.parametrize("scale", [1.0, 0.5, 2.5])  # whole numbers take the lookup table, the rest sort
def test_counts_per_unit_and_value_either_way(scale: float) -> None:
    values = np.array([[1, 3, NAN, 3], [1, 1, 3, NAN], [7, NAN, NAN, 3]]) * scale
    domain = distinct_values(values)
    assert domain.tolist() == sorted(v * scale for v in (1, 3, 7))
    counts = value_counts(values, domain)
    assert counts.tolist() == [[2, 0, 1], [1, 1, 0], [0, 1, 0], [0, 2, 0]]  # unit x value


def test_only_units_rated_twice_are_pairable() -> None:
    counts = np.array([[2, 0], [0, 1], [1, 1], [0, 0]])
    assert pairable(counts).tolist() == [[2, 0], [1, 1]]
    require_pairable(pairable(counts), "alpha")
    with pytest.raises(AgreementError, match="alpha needs units rated by at least 2 coders; no unit is"):
        require_pairable(pairable(counts[[1, 3]]), "alpha")


def test_agreement_needs_two_coders() -> None:
    assert coders_matrix([[1, 2], [2, 2]]).values.shape == (2, 2)
    with pytest.raises(AgreementError, match="at least 2 coders; got 1"):
        coders_matrix([[1, 2, 3]])
