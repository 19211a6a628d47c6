"""cleanlab's confident learning finds planted label flips on a small synthetic set, for one label
and for label sets; the list is capped and bad probabilities are refused."""

from __future__ import annotations

import numpy as np
import pytest

from tuneloop.assist.label_issues import (
    CONFIDENT_LEARNING,
    label_set_suspects,
    label_suspects,
    pruned_out_of_fold,
)
from tuneloop.assist.tfidf import out_of_fold
from tuneloop.errors import TuneloopError

WORDS = {"fruit": "apple banana cherry plum", "pet": "dog cat mouse hamster", "colour": "red green blue teal"}
CLASSES = list(WORDS)
NEXT = {"fruit": "pet", "pet": "colour", "colour": "fruit"}


def _texts(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    truth = [CLASSES[i % 3] for i in range(n)]
    return [" ".join(rng.choice(WORDS[t].split(), 4)) + f" n{i}" for i, t in enumerate(truth)], truth


def test_the_planted_flips_are_flagged_and_nothing_else_is() -> None:
    texts, truth = _texts(150, 0)
    flipped = set(np.random.default_rng(1).choice(150, 15, replace=False).tolist())
    given = [NEXT[t] if i in flipped else t for i, t in enumerate(truth)]
    probs = out_of_fold(texts, np.array([CLASSES.index(g) for g in given]), seed=0)
    suspects = label_suspects(given, probs, CLASSES)
    found = {s.row for s in suspects}
    assert found <= flipped and len(found) >= 11  # precision 1, recall at least 11 of 15
    assert all(s.suggested == truth[s.row] and s.given == given[s.row] for s in suspects)
    assert all(s.method == CONFIDENT_LEARNING and 0 <= s.score < 0.5 for s in suspects)
    assert [s.score for s in suspects] == sorted(s.score for s in suspects)  # most suspect first
    assert len(label_suspects(given, probs, CLASSES, max_share=0.04)) == 6  # capped at 4% of 150


def test_label_sets_flag_a_dropped_or_swapped_label() -> None:
    texts, truth = _texts(150, 2)
    names = CLASSES
    sets = [(t,) for t in truth]
    flipped = set(np.random.default_rng(3).choice(150, 12, replace=False).tolist())
    given = [(NEXT[t],) if i in flipped else (t,) for i, t in enumerate(truth)]
    present = np.array([[name in g for name in names] for g in given], dtype=int)
    probs = out_of_fold(texts, present, seed=0)
    assert probs.shape == (150, 3)
    suspects = label_set_suspects(given, probs, names)
    found = {s.row for s in suspects}
    assert len(found & flipped) >= 11 and len(found - flipped) <= 2
    right = [s for s in suspects if s.row in flipped]
    assert sum(s.suggested == sets[s.row] for s in right) >= 10


def test_bad_probabilities_and_shares_are_refused() -> None:
    probs = np.full((4, 3), 1 / 3)
    with pytest.raises(TuneloopError, match=r"shape \(4, 3\), expected \(4, 2\)"):
        label_suspects(["a", "b", "a", "b"], probs, ["a", "b"])
    with pytest.raises(TuneloopError, match="--max-share"):
        label_suspects(["a", "b", "c", "a"], probs, ["a", "b", "c"], max_share=0)


def test_rows_left_unfitted_are_scored_but_never_learned() -> None:
    texts, truth = _texts(150, 4)
    targets = np.array([CLASSES.index(t) for t in truth])
    unfitted = targets == CLASSES.index("fruit")
    probs = out_of_fold(texts, targets, seed=0, unfitted=unfitted)
    assert probs.shape == (150, 3)
    assert np.all(probs[:, CLASSES.index("fruit")] == 0)  # no fold model saw a fruit row
    assert np.allclose(probs[unfitted].sum(axis=1), 1)  # yet every fruit row has its probabilities


def test_the_second_pass_finds_flips_the_first_pass_learned() -> None:
    texts, truth = _texts(300, 5)
    flipped = set(np.random.default_rng(6).choice(300, 75, replace=False).tolist())  # a quarter
    given = [NEXT[t] if i in flipped else t for i, t in enumerate(truth)]
    targets = np.array([CLASSES.index(g) for g in given])
    hits = {
        name: len({s.row for s in label_suspects(given, probs(texts, targets, seed=0), CLASSES)} & flipped)
        for name, probs in (("one pass", out_of_fold), ("two passes", pruned_out_of_fold))
    }
    assert hits["two passes"] > hits["one pass"] >= 60
