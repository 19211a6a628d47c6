"""Krippendorff's alpha against the published example and the `krippendorff` package, at every level."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest

from tests.unit.annotate.ratings import PUBLISHED, PUBLISHED_ALPHA, N, random_matrix
from tuneloop.annotate.alpha import LEVELS, krippendorff_alpha
from tuneloop.annotate.reliability import AgreementError, ReliabilityMatrix
from tuneloop.errors import TuneloopError


@pytest.mark.parametrize("level", LEVELS)
def test_published_example(level: str) -> None:
    assert round(krippendorff_alpha(PUBLISHED, level), 3) == PUBLISHED_ALPHA[level]


def test_published_example_from_records_with_ids() -> None:
    records = [
        (f"u{u}", coder, value)
        for coder, row in zip("ABCD", PUBLISHED, strict=True)
        for u, value in enumerate(row)
    ]
    matrix = ReliabilityMatrix.from_records(records)
    assert matrix.coders == tuple("ABCD") and matrix.units[0] == "u0" and matrix.labels is None
    assert np.isnan(matrix.values[0, 9]) and matrix.values[1, 9] == 5
    assert round(krippendorff_alpha(matrix, "interval"), 3) == 0.849


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("level", LEVELS)
def test_alpha_matches_the_krippendorff_package(seed: int, level: str) -> None:
    data = random_matrix(seed)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-12)


def test_ordinal_alpha_follows_the_label_order() -> None:
    names = {1.0: "low", 2.0: "mid", 3.0: "high"}
    data = random_matrix(7, k=3)
    records = [(u, c, names[v]) for c, row in enumerate(data) for u, v in enumerate(row) if not np.isnan(v)]
    ordered = ReliabilityMatrix.from_records(records, labels=["low", "mid", "high"])
    alphabetical = ReliabilityMatrix.from_records(records)  # high < low < mid: a different scale
    assert krippendorff_alpha(ordered, "ordinal") == pytest.approx(krippendorff_alpha(data, "ordinal"))
    assert krippendorff_alpha(alphabetical, "ordinal") != pytest.approx(krippendorff_alpha(data, "ordinal"))
    assert krippendorff_alpha(alphabetical, "nominal") == pytest.approx(krippendorff_alpha(data, "nominal"))


def test_perfect_agreement() -> None:
    data = [[1, 2, 3, 1, N], [1, 2, 3, 1, 2], [N, 2, 3, 1, 2]]
    for level in LEVELS:
        assert krippendorff_alpha(data, level) == pytest.approx(1.0)


def test_a_single_value_leaves_alpha_undefined() -> None:
    data = [[2, 2, 2, N], [2, 2, 2, 2]]
    assert math.isnan(krippendorff_alpha(data, "nominal"))
    assert math.isnan(krippendorff_alpha(data, "interval"))


def test_units_with_one_rating_change_nothing() -> None:
    base = krippendorff_alpha(PUBLISHED, "nominal")
    extra = [[*row, N, N] for row in PUBLISHED]
    extra[0][-2], extra[3][-1] = 9, 1  # a new value 9 seen once must not enter the expected disagreement
    assert krippendorff_alpha(extra, "nominal") == pytest.approx(base)


def test_missing_values_only_drop_their_pairs() -> None:
    # Hiding coder C entirely equals alpha on coders A, B, D.
    hidden = [row if i != 2 else [N] * 12 for i, row in enumerate(PUBLISHED)]
    without = [row for i, row in enumerate(PUBLISHED) if i != 2]
    assert krippendorff_alpha(hidden, "ordinal") == pytest.approx(krippendorff_alpha(without, "ordinal"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: krippendorff_alpha([[1, 2, 3]]), "at least 2 coders"),
        (lambda: krippendorff_alpha([[1, N], [N, 2]]), "no unit is"),
        (
            lambda: krippendorff_alpha(PUBLISHED, "cardinal"),
            "unknown level of measurement 'cardinal'; use one of nominal",
        ),
        (lambda: krippendorff_alpha([[-1, 2], [1, 2]], "ratio"), "non-negative"),
        (lambda: krippendorff_alpha([["a", "b"], ["a", "a"]], "interval"), "not numbers"),
        (lambda: krippendorff_alpha([1, 2, 3]), "2-D"),
    ],
)
def test_bad_input_says_what_and_why(call: object, message: str) -> None:
    with pytest.raises(AgreementError, match=message) as caught:
        call()  # type: ignore[operator]
    assert isinstance(caught.value, TuneloopError)


@pytest.mark.parametrize("level", LEVELS)
def test_any_numbers_not_only_small_integers(level: str) -> None:
    # Half steps go through the sorting path, integers through the lookup table: same answers.
    data = random_matrix(8) * 0.5 + (0 if level == "ratio" else -1.0)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-12)
    as_lists = [[None if np.isnan(v) else float(v) for v in row] for row in data]
    assert krippendorff_alpha(as_lists, level) == pytest.approx(expected, abs=1e-12)
