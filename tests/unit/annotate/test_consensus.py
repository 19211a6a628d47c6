from __future__ import annotations

import numpy as np
import pytest

from tuneloop.annotate.confusions import ConfusedPair, confused_pairs
from tuneloop.annotate.consensus import (
    MajorityLabel,
    dawid_skene,
    dawid_skene_sets,
    majority_set,
    majority_vote,
)
from tuneloop.annotate.reliability import AgreementError, ReliabilityMatrix

N = None
K = 4


def _simulated(seed: int = 1, units: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Three annotators of known skill on K classes, 10% of ratings missing.

    good: right 90% of the time; noisy: right 45%, otherwise uniform; adversarial-ish: right 10%,
    and 80% of the time answers the next class (a systematic swap majority vote can't use).
    """
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, K, units)

    def annotator(right: float, shifted: float) -> np.ndarray:
        draw = rng.random(units)
        guess = rng.integers(0, K, units)
        return np.where(draw < right, truth, np.where(draw < right + shifted, (truth + 1) % K, guess))

    ratings = np.stack([annotator(0.9, 0.0), annotator(0.45, 0.0), annotator(0.1, 0.8)]).astype(float)
    ratings[rng.random(ratings.shape) < 0.1] = np.nan
    return ratings, truth


def _accuracy(labels: list[object] | tuple[object, ...], truth: np.ndarray) -> float:
    """Share of units labelled correctly; a tie or missing label counts as wrong."""
    return float(np.mean([label == t for label, t in zip(labels, truth.tolist(), strict=True)]))


def test_majority_vote_reports_ties_instead_of_breaking_them() -> None:
    matrix = ReliabilityMatrix.from_records(
        [
            ("t1", "a", "card"),
            ("t1", "b", "card"),
            ("t1", "c", "refund"),
            ("t2", "a", "card"),
            ("t2", "b", "refund"),
            ("t3", "a", "fraud"),
            ("t4", "c", "card"),
            ("t4", "b", "fraud"),
            ("t4", "a", "refund"),
        ]
    )
    votes = {row.unit: row for row in majority_vote(matrix)}
    assert votes["t1"] == MajorityLabel("t1", "card", 2, 3)
    assert votes["t1"].support == pytest.approx(2 / 3)
    assert votes["t2"].label is None and votes["t2"].tied == ("card", "refund")
    assert votes["t3"] == MajorityLabel("t3", "fraud", 1, 1)
    assert votes["t4"].label is None and votes["t4"].tied == ("card", "fraud", "refund")


def test_majority_vote_on_an_unrated_unit() -> None:
    votes = majority_vote([[1, N], [1, N]])
    assert votes[1] == MajorityLabel(1, None, 0, 0) and votes[1].support == 0.0
    with pytest.raises(AgreementError, match="no ratings"):
        majority_vote([[N, N], [N, N]])


def test_dawid_skene_beats_majority_vote_and_ranks_annotators() -> None:
    ratings, truth = _simulated()
    majority = _accuracy([row.label for row in majority_vote(ratings)], truth)
    result = dawid_skene(ratings)
    assert result.converged and result.iterations < 100
    ours = _accuracy(result.label, truth)
    assert ours > majority + 0.2, (ours, majority)
    assert ours > 0.85
    good, noisy, adversarial = result.accuracy
    assert good > noisy > adversarial
    # The estimates are close to the simulated skills (0.9; 0.45 + 0.55/4; 0.1 + 0.1/4).
    assert good == pytest.approx(0.925, abs=0.05)
    assert noisy == pytest.approx(0.59, abs=0.06)
    assert adversarial == pytest.approx(0.125, abs=0.05)
    # It learned the swap: the adversarial annotator's confusion puts truth k on answer k+1.
    assert (result.confusion[2].argmax(axis=1) == (np.arange(K) + 1) % K).all()


def test_dawid_skene_shapes_and_determinism() -> None:
    ratings, _ = _simulated(seed=2, units=200)
    result = dawid_skene(ratings)
    assert result.posterior.shape == (200, K) and np.allclose(result.posterior.sum(axis=1), 1.0)
    assert result.classes == (0, 1, 2, 3) and result.coders == (0, 1, 2) and len(result.label) == 200
    assert result.priors.sum() == pytest.approx(1.0)
    assert np.allclose(result.confusion.sum(axis=2), 1.0)
    again = dawid_skene(ratings)
    assert np.array_equal(result.posterior, again.posterior)
    short = dawid_skene(ratings, max_iter=1)
    assert short.iterations == 1 and not short.converged


def test_dawid_skene_random_start_is_seeded() -> None:
    ratings, _ = _simulated(seed=3, units=150)
    a = dawid_skene(ratings, init="random", seed=5)
    b = dawid_skene(ratings, init="random", seed=5)
    c = dawid_skene(ratings, init="random", seed=6)
    assert np.array_equal(a.posterior, b.posterior) and not np.array_equal(a.posterior, c.posterior)
    with pytest.raises(AgreementError, match="unknown init 'best'"):
        dawid_skene(ratings, init="best")  # type: ignore[arg-type]


def test_dawid_skene_keeps_labels_and_agrees_when_annotators_agree() -> None:
    matrix = ReliabilityMatrix.from_records(
        [(f"t{u}", coder, label) for u, label in enumerate(["a", "b", "c", "a"]) for coder in ("x", "y")]
        + [("t4", "x", "b")]
    )
    result = dawid_skene(matrix)
    assert result.classes == ("a", "b", "c")
    assert result.label == ("a", "b", "c", "a", "b")
    assert result.units == ("t0", "t1", "t2", "t3", "t4")
    assert (result.accuracy > 0.9).all()


def test_dawid_skene_reports_an_unrated_unit_and_a_posterior_tie() -> None:
    result = dawid_skene([[1, 2, N], [2, 1, N]])  # two symmetric disagreements: nothing to prefer
    assert result.label == (None, None, None)
    assert np.allclose(result.posterior, 0.5)


def test_confused_pairs_counts_units_and_gives_examples() -> None:
    matrix = ReliabilityMatrix.from_records(
        [
            ("t1", "a", "card"),
            ("t1", "b", "refund"),
            ("t2", "a", "card"),
            ("t2", "b", "refund"),
            ("t2", "c", "refund"),
            ("t3", "a", "refund"),
            ("t3", "b", "card"),
            ("t3", "c", "fraud"),
            ("t4", "a", "fraud"),
            ("t4", "b", "fraud"),
            ("t5", "a", "card"),
        ]
    )
    pairs = confused_pairs(matrix, examples=2)
    assert pairs[0] == ConfusedPair(("card", "refund"), units=3, rating_pairs=4, examples=("t1", "t2"))
    assert [p.labels for p in pairs[1:]] == [("card", "fraud"), ("fraud", "refund")]
    assert all(p.units == 1 and p.examples == ("t3",) for p in pairs[1:])
    assert confused_pairs(matrix, top=1) == [ConfusedPair(("card", "refund"), 3, 4, ("t1", "t2", "t3"))]
    assert confused_pairs([[1, 2], [1, 2]]) == []


def test_majority_set_keeps_the_labels_more_than_half_gave() -> None:
    sets = ReliabilityMatrix.from_records(
        [
            (1, "x", ("a", "b")),
            (1, "y", ("a",)),
            (1, "z", ("a", "b")),  # b by 2 of 3: in
            (2, "x", ("a",)),
            (2, "y", ("b",)),  # a and b each by half: a tie
            (3, "x", ()),
            (3, "y", ()),
            (3, "z", ("c",)),  # c by 1 of 3: out, the empty set
        ]
    )
    one, two, three = majority_set(sets)
    assert one.label == ("a", "b") and one.votes == 2 and one.n_ratings == 3
    assert two.label is None and two.tied == ("a", "b")
    assert three.label == () and three.votes == 2
    (empty,) = majority_set(ReliabilityMatrix.from_records([(1, "x", ()), (1, "y", ())]))
    assert empty.label == () and empty.votes == 2


def test_dawid_skene_per_label_weighs_careful_annotators_where_majority_ties() -> None:
    # Two careful and two careless annotators: majority ties 2-2 on many labels; Dawid-Skene,
    # per label, trusts the careful pair.
    rng = np.random.default_rng(0)
    truth = [tuple(label for label in "abc" if rng.random() < 0.4) for _ in range(200)]
    records = []
    for unit, labels in enumerate(truth):
        for coder, flip in (("good", 0.03), ("fair", 0.08), ("bad", 0.35), ("worse", 0.4)):
            answer = tuple(label for label in "abc" if (label in labels) != (rng.random() < flip))
            records.append((unit, coder, answer))
    matrix = ReliabilityMatrix.from_records(records)
    decided = dawid_skene_sets(matrix)
    right = sum(decided[unit] == labels for unit, labels in enumerate(truth))
    majority = sum(v.label == labels for v, labels in zip(majority_set(matrix), truth, strict=True))
    assert right >= 160 and majority < 100
