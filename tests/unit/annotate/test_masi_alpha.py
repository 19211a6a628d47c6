"""Alpha over label sets with the MASI distance, checked against NLTK's `AnnotationTask` (tests only)."""

from __future__ import annotations

import numpy as np
import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import masi_distance as nltk_masi

from tuneloop.annotate.alpha import krippendorff_alpha, masi_distance
from tuneloop.annotate.bootstrap import bootstrap_alpha
from tuneloop.annotate.reliability import AgreementError, ReliabilityMatrix

LABELS = ("a", "b", "c", "d", "e")


def _nltk_distance(x: frozenset[str], y: frozenset[str]) -> float:
    """NLTK's MASI, with two empty sets the same answer (NLTK's own divides 0 by 0 there)."""
    return 0.0 if x == y else nltk_masi(x, y)


def random_sets(seed: int, units: int = 40) -> list[tuple[str, int, tuple[str, ...]]]:
    """(coder, unit, set) records: 2 to 5 coders per unit, some units with one answer, empty sets,
    answers near a per-unit truth so alpha is far from 0."""
    rng = np.random.default_rng(seed)
    records = []
    for unit in range(units):
        truth = {label for label in LABELS if rng.random() < 0.35}
        coders = rng.choice(6, size=int(rng.integers(1, 6)), replace=False)
        for coder in coders:
            answer = {label for label in LABELS if (label in truth) != (rng.random() < 0.15)}
            records.append((f"coder-{coder}", unit, tuple(sorted(answer))))
    return records


def _ours(records: list[tuple[str, int, tuple[str, ...]]]) -> ReliabilityMatrix:
    return ReliabilityMatrix.from_records([(unit, coder, answer) for coder, unit, answer in records])


@pytest.mark.parametrize("seed", range(8))
def test_masi_alpha_equals_nltk(seed: int) -> None:
    records = random_sets(seed)
    assert any(answer == () for *_, answer in records)  # empty sets are in the data
    task = AnnotationTask([(c, str(u), frozenset(a)) for c, u, a in records], distance=_nltk_distance)
    assert krippendorff_alpha(_ours(records), "masi") == pytest.approx(task.alpha(), abs=1e-9)


def test_units_with_one_answer_are_ignored_as_nltk_does() -> None:
    records = [*random_sets(3), ("coder-0", 99, ("a",)), ("coder-9", 100, ())]
    task = AnnotationTask([(c, str(u), frozenset(a)) for c, u, a in records], distance=_nltk_distance)
    assert krippendorff_alpha(_ours(records), "masi") == pytest.approx(task.alpha(), abs=1e-9)
    assert krippendorff_alpha(_ours(records), "masi") == pytest.approx(
        krippendorff_alpha(_ours(random_sets(3)), "masi"), abs=1e-12
    )


@pytest.mark.parametrize(
    ("x", "y"),
    [({"a"}, {"a"}), ({"a", "b"}, {"a"}), ({"a", "b"}, {"b", "c"}), ({"a"}, {"b"}), (set(), {"a"})],
)
def test_masi_distance_is_nltks(x: set[str], y: set[str]) -> None:
    assert masi_distance(frozenset(x), frozenset(y)) == pytest.approx(nltk_masi(x, y), abs=1e-15)


def test_two_empty_sets_are_the_same_answer() -> None:
    assert masi_distance(frozenset(), frozenset()) == 0.0


def test_one_set_everywhere_is_undefined_not_one() -> None:
    same = ReliabilityMatrix.from_records([(u, c, ("a", "b")) for u in range(3) for c in ("x", "y")])
    assert np.isnan(krippendorff_alpha(same, "masi"))


def test_masi_needs_label_sets() -> None:
    with pytest.raises(AgreementError, match="masi agreement compares label sets"):
        krippendorff_alpha([["a", "b"], ["a", "a"]], "masi")


def test_bootstrap_of_masi_alpha_brackets_the_estimate() -> None:
    ci = bootstrap_alpha(_ours(random_sets(1, units=80)), "masi", n_boot=200, seed=0)
    assert ci.estimate == pytest.approx(krippendorff_alpha(_ours(random_sets(1, units=80)), "masi"))
    assert ci.low < ci.estimate < ci.high
