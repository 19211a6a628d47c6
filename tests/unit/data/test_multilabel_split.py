"""Iterative stratification, tested on its properties: sizes as asked, every label spread in
proportion, copies together, seeded and deterministic, and closer to the shares than a shuffle."""

from __future__ import annotations

from collections import Counter

import numpy as np

from tuneloop.data.example import Example, build_messages
from tuneloop.data.multilabel_split import iterative_split
from tuneloop.data.split import SPLITS, TOO_RARE
from tuneloop.label_text import canonical_answer

LABELS = [f"l{i:02d}" for i in range(16)]
SHARES = {"train": 0.7, "validation": 0.15, "test": 0.15}


def _examples(n: int, seed: int) -> list[Example]:
    """`n` rows of 0-4 labels each, label frequencies from common to rare (Zipf-like), seeded."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, len(LABELS) + 1)
    weights /= weights.sum()
    out = []
    for i in range(n):
        k = int(rng.integers(0, 5))
        labels = tuple(sorted(set(rng.choice(LABELS, size=k, p=weights)), key=LABELS.index))
        answer = canonical_answer(labels)
        out.append(
            Example(build_messages(f"text {i}", answer, None), answer, f"d.json:{i + 2}", labels=labels)
        )
    return out


def _counts(parts: dict[str, list[Example]]) -> dict[str, Counter[str]]:
    return {name: Counter(label for e in rows for label in e.labels or ()) for name, rows in parts.items()}


def _deviation(parts: dict[str, list[Example]], k: int) -> float:
    """Mean absolute gap between a label's rows in a split and that split's share of them, over
    the labels with at least `k` rows, as a fraction of the label's rows."""
    counts = _counts(parts)
    total = sum(counts.values(), Counter())
    gaps = [
        abs(counts[name][label] - SHARES[name] * n) / n
        for label, n in total.items()
        if n >= k
        for name in SPLITS
    ]
    return float(np.mean(gaps))


def test_split_sizes_are_as_asked_and_no_row_is_lost() -> None:
    examples = _examples(1000, seed=1)
    parts = iterative_split(examples, validation=0.15, test=0.15, seed=0).parts
    assert sorted(e.id for rows in parts.values() for e in rows) == sorted(e.id for e in examples)
    for name, share in SHARES.items():
        assert abs(len(parts[name]) - share * len(examples)) <= 0.01 * len(examples), name


def test_every_label_with_enough_rows_lands_in_each_split_in_proportion() -> None:
    examples = _examples(1000, seed=2)
    parts = iterative_split(examples, validation=0.15, test=0.15, seed=0).parts
    counts = _counts(parts)
    total = sum(counts.values(), Counter())
    checked = [label for label, n in total.items() if n >= 40]
    assert len(checked) >= 12
    for label in checked:
        for name, share in SHARES.items():
            expected = share * total[label]
            assert abs(counts[name][label] - expected) <= max(2.0, 0.05 * total[label]), (label, name)


def test_labels_are_spread_more_evenly_than_by_a_plain_shuffle() -> None:
    examples = _examples(600, seed=3)
    ours = _deviation(iterative_split(examples, 0.15, 0.15, seed=0).parts, k=10)
    shuffled = []
    for seed in range(5):
        order = np.random.default_rng(seed).permutation(len(examples))
        rows = [examples[i] for i in order]
        a, b = int(0.15 * len(rows)), int(0.3 * len(rows))
        shuffled.append(_deviation({"test": rows[:a], "validation": rows[a:b], "train": rows[b:]}, k=10))
    assert ours < 0.5 * min(shuffled)


def test_the_same_seed_gives_the_same_split_and_another_seed_another() -> None:
    examples = _examples(300, seed=4)

    def ids(seed: int) -> dict[str, list[str]]:
        return {k: [e.id for e in v] for k, v in iterative_split(examples, 0.15, 0.15, seed).parts.items()}

    assert ids(7) == ids(7)
    assert ids(7) != ids(8)


def test_copies_of_one_example_stay_in_one_split() -> None:
    examples = _examples(200, seed=5)
    examples += examples[:40]  # the same rows read twice
    parts = iterative_split(examples, 0.15, 0.15, seed=0).parts
    where = {}
    for name, rows in parts.items():
        for e in rows:
            assert where.setdefault(e.id, name) == name


def test_no_test_share_leaves_test_empty_and_a_label_missing_from_a_split_is_named() -> None:
    examples = [e for e in _examples(200, seed=6) if "l15" not in (e.labels or ())]
    examples.append(Example(build_messages("only one", "l15", None), "l15", "d.json:999", labels=("l15",)))
    split = iterative_split(examples, validation=0.2, test=0.0, seed=0)
    assert split.parts["test"] == []
    assert [e.labels for e in split.parts["train"] if e.source == "d.json:999"] == [("l15",)]  # most wanted
    (finding,) = [f for f in split.findings if "'l15'" in f.message]
    assert (finding.code, finding.file) == (TOO_RARE, "d.json")
    assert (
        finding.message == "label 'l15' has 1 row(s), none of them in validation: that split cannot score it"
    )
