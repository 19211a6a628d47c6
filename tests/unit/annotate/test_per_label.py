"""Alpha of each label against the rest, checked against the `krippendorff` package on binarised ratings."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from tests.unit.annotate.ratings import N
from tuneloop.annotate.per_label import alpha_per_label


def test_alpha_per_label() -> None:
    # Label 1 is always agreed on; labels 2 and 3 are confused with each other.
    data = np.array([[1, 1, 2, 3, 2, 3, 1], [1, 1, 3, 2, 2, 3, 1], [1, 1, 2, 2, 3, 3, N]], dtype=float)
    rows = {row.label: row for row in alpha_per_label(data)}
    assert rows[1].alpha == pytest.approx(1.0) and rows[1].n_ratings == 8
    assert rows[2].alpha < 0.5 and rows[3].alpha < 0.5
    binary = np.where(np.isnan(data), np.nan, data == 2)
    expected = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
    assert rows[2].alpha == pytest.approx(expected)
