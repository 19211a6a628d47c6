from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from tuneloop.annotate.agreement import (
    LEVELS,
    agreement_per_annotator,
    alpha_per_label,
    bootstrap,
    bootstrap_alpha,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_agreement,
    percent_agreement,
)
from tuneloop.annotate.reliability import AgreementError, ReliabilityMatrix
from tuneloop.errors import TuneloopError

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the example with missing values.
PUBLISHED = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
PUBLISHED_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def _random_matrix(
    seed: int, coders: int = 4, units: int = 60, k: int = 5, missing: float = 0.2
) -> np.ndarray:
    """Correlated ratings (a true value per unit plus noise) with holes, so alpha is far from 0."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, k + 1, units)
    noisy = np.where(rng.random((coders, units)) < 0.7, truth, rng.integers(1, k + 1, (coders, units)))
    out = noisy.astype(float)
    out[rng.random(out.shape) < missing] = np.nan
    return out


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
    data = _random_matrix(seed)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-12)


def test_ordinal_alpha_follows_the_label_order() -> None:
    names = {1.0: "low", 2.0: "mid", 3.0: "high"}
    data = _random_matrix(7, k=3)
    records = [(u, c, names[v]) for c, row in enumerate(data) for u, v in enumerate(row) if not np.isnan(v)]
    ordered = ReliabilityMatrix.from_records(records, labels=["low", "mid", "high"])
    alphabetical = ReliabilityMatrix.from_records(records)  # high < low < mid: a different scale
    assert krippendorff_alpha(ordered, "ordinal") == pytest.approx(krippendorff_alpha(data, "ordinal"))
    assert krippendorff_alpha(alphabetical, "ordinal") != pytest.approx(krippendorff_alpha(data, "ordinal"))
    assert krippendorff_alpha(alphabetical, "nominal") == pytest.approx(krippendorff_alpha(data, "nominal"))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_sklearn(seed: int, weights: str | None) -> None:
    data = _random_matrix(seed, coders=2, units=80)
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
    data = _random_matrix(seed, coders=5, missing=0.0)
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
    for level in LEVELS:
        assert krippendorff_alpha(data, level) == pytest.approx(1.0)
    assert percent_agreement(data) == 1.0
    assert cohen_kappa([data[0], data[1]]) == pytest.approx(1.0)
    assert fleiss_kappa(data, raters=3) == pytest.approx(1.0)


def test_a_single_value_leaves_alpha_and_kappa_undefined() -> None:
    data = [[2, 2, 2, N], [2, 2, 2, 2]]
    assert math.isnan(krippendorff_alpha(data, "nominal"))
    assert math.isnan(krippendorff_alpha(data, "interval"))
    assert math.isnan(cohen_kappa(data))
    assert math.isnan(fleiss_kappa(data, raters=2))
    assert percent_agreement(data) == 1.0  # still defined: everyone agreed


def test_units_with_one_rating_change_nothing() -> None:
    base = krippendorff_alpha(PUBLISHED, "nominal")
    extra = [[*row, N, N] for row in PUBLISHED]
    extra[0][-2], extra[3][-1] = 9, 1  # a new value 9 seen once must not enter the expected disagreement
    assert krippendorff_alpha(extra, "nominal") == pytest.approx(base)
    assert percent_agreement(extra) == pytest.approx(percent_agreement(PUBLISHED))


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
        (lambda: cohen_kappa([[1, N], [N, 2]]), "no unit in common"),
        (lambda: cohen_kappa([[1, 2], [1, 2]], weights="cubic"), "unknown kappa weights"),  # type: ignore[arg-type]
        (lambda: krippendorff_alpha([1, 2, 3]), "2-D"),
        (lambda: percent_agreement([[1, N], [N, 1]]), "no unit is"),
    ],
)
def test_bad_input_says_what_and_why(call: object, message: str) -> None:
    with pytest.raises(AgreementError, match=message) as caught:
        call()  # type: ignore[operator]
    assert isinstance(caught.value, TuneloopError)


def test_records_reject_duplicates_and_unknown_labels() -> None:
    with pytest.raises(AgreementError, match="rated unit 'u1' twice"):
        ReliabilityMatrix.from_records([("u1", "ann", "a"), ("u1", "ann", "b")])
    with pytest.raises(AgreementError, match="'c' are not among the labels"):
        ReliabilityMatrix.from_records([("u1", "ann", "c")], labels=["a", "b"])


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


def test_alpha_per_label() -> None:
    # Label 1 is always agreed on; labels 2 and 3 are confused with each other.
    data = np.array([[1, 1, 2, 3, 2, 3, 1], [1, 1, 3, 2, 2, 3, 1], [1, 1, 2, 2, 3, 3, N]], dtype=float)
    rows = {row.label: row for row in alpha_per_label(data)}
    assert rows[1].alpha == pytest.approx(1.0) and rows[1].n_ratings == 8
    assert rows[2].alpha < 0.5 and rows[3].alpha < 0.5
    binary = np.where(np.isnan(data), np.nan, data == 2)
    expected = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
    assert rows[2].alpha == pytest.approx(expected)


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


def test_bootstrap_alpha_interval() -> None:
    data = _random_matrix(3, coders=3, units=300)
    first = bootstrap_alpha(data, "interval", n_boot=400, seed=1)
    assert first == bootstrap_alpha(data, "interval", n_boot=400, seed=1)  # seeded
    assert first.estimate == pytest.approx(krippendorff_alpha(data, "interval"))
    assert first.low < first.estimate < first.high and first.high - first.low < 0.2
    assert first.n_units == int(((~np.isnan(data)).sum(axis=0) >= 2).sum()) and first.n_boot == 400
    # The vectorised resampling gives the same kind of interval as the generic loop.
    generic = bootstrap(data, lambda m: krippendorff_alpha(m, "interval"), n_boot=400, seed=2)
    assert generic.estimate == pytest.approx(first.estimate)
    assert generic.low == pytest.approx(first.low, abs=0.03) and generic.high == pytest.approx(
        first.high, abs=0.03
    )
    more = bootstrap_alpha(np.tile(data, 4), "interval", n_boot=400, seed=1)
    assert more.high - more.low < (first.high - first.low) * 0.7  # 4x the units: about half the width


def test_bootstrap_of_kappa_and_undefined_resamples() -> None:
    data = _random_matrix(4, coders=2, units=200)
    interval = bootstrap(data, cohen_kappa, n_boot=200, seed=0)
    assert interval.low < cohen_kappa(data) < interval.high
    flat = bootstrap_alpha([[1, 1, 1], [1, 1, 1]], n_boot=50)
    assert math.isnan(flat.estimate) and math.isnan(flat.low) and math.isnan(flat.high)


@pytest.mark.parametrize("level", LEVELS)
def test_any_numbers_not_only_small_integers(level: str) -> None:
    # Half steps go through the sorting path, integers through the lookup table: same answers.
    data = _random_matrix(8) * 0.5 + (0 if level == "ratio" else -1.0)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-12)
    as_lists = [[None if np.isnan(v) else float(v) for v in row] for row in data]
    assert krippendorff_alpha(as_lists, level) == pytest.approx(expected, abs=1e-12)
