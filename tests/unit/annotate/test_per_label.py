"""Alpha of each label against the rest, checked against the `krippendorff` package on binarised ratings."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from tests.unit.annotate.ratings import N
from tuneloop.annotate.per_label import alpha_per_label
from tuneloop.annotate.reliability import ReliabilityMatrix


def test_alpha_per_label() -> None:
    # Label 1 is always agreed on; labels 2 and 3 are confused with each other.
    data = np.array([[1, 1, 2, 3, 2, 3, 1], [1, 1, 3, 2, 2, 3, 1], [1, 1, 2, 2, 3, 3, N]], dtype=float)
    rows = {row.label: row for row in alpha_per_label(data)}
    assert rows[1].alpha == pytest.approx(1.0) and rows[1].n_ratings == 8
    assert rows[2].alpha < 0.5 and rows[3].alpha < 0.5
    binary = np.where(np.isnan(data), np.nan, data == 2)
    expected = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
    assert rows[2].alpha == pytest.approx(expected)


def test_alpha_per_label_of_label_sets_is_alpha_of_each_presence() -> None:
    sets = [
        [("a", "b"), ("a",), (), ("b", "c")],
        [("a",), ("a",), ("c",), ("b", "c")],
        [("a", "b"), N, (), ("c",)],
    ]
    rows = {row.label: row for row in alpha_per_label(ReliabilityMatrix.from_array(sets))}
    assert set(rows) == {"a", "b", "c"}
    for label in "abc":
        binary = [[np.nan if s is None else float(label in s) for s in coder] for coder in sets]
        expected = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
        assert rows[label].alpha == pytest.approx(expected, abs=1e-12)
    assert rows["a"].n_ratings == 5 and rows["c"].n_ratings == 4
