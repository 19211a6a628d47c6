"""Each annotator against the others and against gold, and the matrix of every pair."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.annotate.ratings import PUBLISHED, N
from tuneloop.annotate.kappa import cohen_kappa
from tuneloop.annotate.per_annotator import agreement_per_annotator, pairwise_agreement
from tuneloop.annotate.reliability import AgreementError, ReliabilityMatrix


def test_string_labels_and_gold() -> None:
    matrix = ReliabilityMatrix.from_records(
        [("t1", "ann", "card"), ("t1", "bob", "card"), ("t2", "ann", "refund"), ("t2", "bob", "card")]
    )
    assert matrix.labels == ("card", "refund")
    assert matrix.label(matrix.values[0, 1]) == "refund"
    gold = matrix.gold_vector({"t1": "card", "t2": "refund"})
    assert gold.tolist() == [0.0, 1.0]
    rows = {row.coder: row for row in agreement_per_annotator(matrix, gold=gold)}
    assert rows["ann"].gold_accuracy == 1.0 and rows["bob"].gold_accuracy == 0.5
    with pytest.raises(AgreementError, match="'fraud' of unit 't1'"):
        matrix.gold_vector({"t1": "fraud"})


def test_agreement_per_annotator_pools_pairs() -> None:
    # A and B always agree; C agrees with them on unit 0 only.
    data = [[1, 2, 1, 2], [1, 2, 1, 2], [1, 1, 2, N]]
    rows = agreement_per_annotator(data, gold=[1, 2, 1, N])
    a, _, c = rows
    assert (a.n_units, a.n_pairs) == (4, 7)
    assert a.percent == pytest.approx(5 / 7)  # 4 pairs with B agree, 1 of 3 with C
    assert c.percent == pytest.approx(2 / 6) and c.n_pairs == 6
    assert c.kappa < a.kappa
    assert a.gold_units == 3 and a.gold_accuracy == 1.0 and a.gold_kappa == pytest.approx(1.0)
    assert c.gold_accuracy == pytest.approx(1 / 3)
    assert agreement_per_annotator(data)[0].gold_accuracy is None


def test_pairwise_matrix() -> None:
    matrix = ReliabilityMatrix.from_array(PUBLISHED, coders=list("ABCD"))
    pairs = pairwise_agreement(matrix)
    assert pairs.coders == tuple("ABCD")
    assert np.allclose(pairs.kappa, pairs.kappa.T, equal_nan=True) and np.isnan(np.diag(pairs.kappa)).all()
    assert pairs.kappa[0, 3] == pytest.approx(cohen_kappa(matrix, coders=("A", "D")))
    assert pairs.n_units[1, 2] == 9 and pairs.percent[0, 1] == pytest.approx(8 / 9)
    apart = pairwise_agreement([[1, 2, N, N], [N, N, 1, 2], [1, 2, 1, 2]])
    assert apart.n_units[0, 1] == 0 and np.isnan(apart.kappa[0, 1]) and apart.kappa[0, 2] == 1.0


def test_gold_needs_one_value_per_unit() -> None:
    with pytest.raises(AgreementError, match=r"one value per unit \(2\)"):
        agreement_per_annotator([[1, 2], [1, 1]], gold=[1, 2, 1])
