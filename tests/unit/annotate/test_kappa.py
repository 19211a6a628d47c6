"""Percent agreement, Cohen's and Fleiss' kappa against sklearn, statsmodels and hand counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from tests.unit.annotate.ratings import PUBLISHED, N, random_matrix
from tuneloop.annotate.kappa import cohen_kappa, fleiss_kappa, percent_agreement
from tuneloop.annotate.reliability import AgreementError, ReliabilityMatrix
from tuneloop.errors import TuneloopError


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_sklearn(seed: int, weights: str | None) -> None:
    data = random_matrix(seed, coders=2, units=80)
    both = ~np.isnan(data).any(axis=0)
    expected = cohen_kappa_score(data[0, both], data[1, both], weights=weights)
    assert cohen_kappa(data, weights=weights) == pytest.approx(expected, abs=1e-12)  # type: ignore[arg-type]


def test_cohen_kappa_picks_two_of_several_coders() -> None:
    matrix = ReliabilityMatrix.from_array(PUBLISHED, coders=list("ABCD"))
    expected = cohen_kappa_score([1, 2, 3, 3, 2, 1, 4, 1, 2], [1, 2, 3, 3, 2, 4, 4, 1, 2])
    assert cohen_kappa(matrix, coders=("A", "D")) == pytest.approx(expected)
    with pytest.raises(AgreementError, match="pass coders"):
        cohen_kappa(matrix)
    with pytest.raises(AgreementError, match="no coder 'Z'"):
        cohen_kappa(matrix, coders=("A", "Z"))


@pytest.mark.parametrize("seed", range(5))
def test_fleiss_kappa_matches_statsmodels(seed: int) -> None:
    data = random_matrix(seed, coders=5, missing=0.0)
    table = np.stack([(data == v).sum(axis=0) for v in range(1, 6)], axis=1)
    assert fleiss_kappa(data) == pytest.approx(sm_fleiss_kappa(table, method="fleiss"), abs=1e-12)


def test_fleiss_kappa_wants_a_constant_number_of_ratings() -> None:
    with pytest.raises(AgreementError, match=r"same number of ratings.*units with 3.*raters=N"):
        fleiss_kappa(PUBLISHED)
    # raters=3 uses only the units rated exactly 3 times (units 0, 5, 8, 9... of the published data).
    data = np.array(PUBLISHED, dtype=float)
    rows = data[:, (~np.isnan(data)).sum(axis=0) == 3]
    table = np.stack([(rows == v).sum(axis=0) for v in range(1, 6)], axis=1)
    assert fleiss_kappa(PUBLISHED, raters=3) == pytest.approx(sm_fleiss_kappa(table, method="fleiss"))
    with pytest.raises(AgreementError, match="no unit has exactly 5"):
        fleiss_kappa(PUBLISHED, raters=5)


def test_percent_agreement_by_hand() -> None:
    # unit 0: 3 of 3 pairs agree; unit 1: 1 of 3 pairs; unit 2: 0 of 1; unit 3 has one rating.
    data = [[1, 1, 1, 2], [1, 1, 2, N], [1, 2, N, N]]
    assert percent_agreement(data) == pytest.approx((1 + 1 / 3 + 0) / 3)


def test_perfect_agreement() -> None:
    data = [[1, 2, 3, 1, N], [1, 2, 3, 1, 2], [N, 2, 3, 1, 2]]
    assert percent_agreement(data) == 1.0
    assert cohen_kappa([data[0], data[1]]) == pytest.approx(1.0)
    assert fleiss_kappa(data, raters=3) == pytest.approx(1.0)


def test_a_single_value_leaves_kappa_undefined() -> None:
    data = [[2, 2, 2, N], [2, 2, 2, 2]]
    assert math.isnan(cohen_kappa(data))
    assert math.isnan(fleiss_kappa(data, raters=2))
    assert percent_agreement(data) == 1.0  # still defined: everyone agreed


def test_units_with_one_rating_change_nothing() -> None:
    extra = [[*row, N, N] for row in PUBLISHED]
    extra[0][-2], extra[3][-1] = 9, 1
    assert percent_agreement(extra) == pytest.approx(percent_agreement(PUBLISHED))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cohen_kappa([[1, N], [N, 2]]), "no unit in common"),
        (lambda: cohen_kappa([[1, 2], [1, 2]], weights="cubic"), "unknown kappa weights"),  # type: ignore[arg-type]
        (lambda: percent_agreement([[1, N], [N, 1]]), "no unit is"),
        (lambda: fleiss_kappa([[1, 2, 3]]), "at least 2 coders"),
    ],
)
def test_bad_input_says_what_and_why(call: object, message: str) -> None:
    with pytest.raises(AgreementError, match=message) as caught:
        call()  # type: ignore[operator]
    assert isinstance(caught.value, TuneloopError)
