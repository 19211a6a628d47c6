"""Likely wrong labels, from out-of-fold probabilities: cleanlab's confident learning.

`cleanlab.filter.find_label_issues` estimates, from the probabilities a model gives each row when
it did not see it, how often each label is given in place of each other, and flags the rows the
estimate says are mislabelled (`prune_by_noise_rate`), ranked by self-confidence (the probability
of the given label; lower: more suspect). For label sets the same runs with `multi_label=True` on
one-vs-rest probabilities, each row's score then being cleanlab's multilabel quality score.

The probabilities come in two passes (`pruned_out_of_fold`), as cleanlab's `CleanLearning` fits on
pruned data: the first pass's suspects are left out of the second pass's fits, so the fold models
learn less of the noise they are asked to find. On BANKING77 with 20% of the train labels flipped
to the most confusable intent (benchmarks/noisy_labels.py) one pass flags 2,000 rows (the cap) at a
precision of 0.567 and a recall of 0.708; two passes flag 1,659 at 0.743 and 0.771.

The flagged list is capped at `max_share` of the rows, most suspect first, because people review
it: the cap is what a round of review can take. Where the probabilities come from is the caller's
choice: `pruned_out_of_fold` (a cross-validated TF-IDF regression), or a trained model's held-out
label scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from cleanlab.filter import find_label_issues
from cleanlab.multilabel_classification.rank import get_label_quality_scores as multilabel_scores
from cleanlab.rank import get_label_quality_scores

from tuneloop.assist.tfidf import out_of_fold
from tuneloop.errors import TuneloopError

CONFIDENT_LEARNING = "confident_learning"
MAX_SHARE = 0.25


@dataclass(frozen=True)
class Suspect:
    """One flagged row: its index, the label given and the one suggested (for label sets: tuples
    in schema order), the score of the given label (0..1, lower: more suspect), how it was found."""

    row: int
    given: str | tuple[str, ...]
    suggested: str | tuple[str, ...]
    score: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pruned_out_of_fold(texts: Sequence[str], targets: np.ndarray, seed: int) -> np.ndarray:
    """Out-of-fold TF-IDF probabilities (`tfidf.out_of_fold`), the second of two passes: the rows
    confident learning doubts on the first pass's probabilities are not fitted on in the second.
    `targets`: class indices, or a 0/1 label-set matrix."""
    first = out_of_fold(texts, targets, seed)
    if targets.ndim == 2:
        sets = [np.flatnonzero(row).tolist() for row in targets]
        doubted = find_label_issues(sets, first, multi_label=True, n_jobs=1)
    else:
        doubted = find_label_issues(targets, first, n_jobs=1)
    return out_of_fold(texts, targets, seed, unfitted=doubted)


def label_suspects(
    given: Sequence[str], probs: np.ndarray, classes: Sequence[str], max_share: float = MAX_SHARE
) -> list[Suspect]:
    """Rows whose given label (one of `classes`, the probability columns) looks wrong, most
    suspect first, at most `max_share` of the rows."""
    index = {label: i for i, label in enumerate(classes)}
    _check(probs, len(given), len(classes), max_share)
    labels = np.array([index[label] for label in given])
    ranked = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
    scores = get_label_quality_scores(labels, probs)
    masked = probs.copy()
    masked[np.arange(len(labels)), labels] = -1  # the suggestion: the likeliest other label
    return [
        Suspect(int(r), given[r], classes[int(masked[r].argmax())], float(scores[r]), CONFIDENT_LEARNING)
        for r in ranked[: _cap(len(given), max_share)]
    ]


def label_set_suspects(
    given: Sequence[tuple[str, ...]], probs: np.ndarray, labels: Sequence[str], max_share: float = MAX_SHARE
) -> list[Suspect]:
    """Rows whose label set looks wrong, from one-vs-rest probabilities (one column per label);
    the suggestion is the set of labels whose probability is at least 0.5."""
    index = {label: i for i, label in enumerate(labels)}
    _check(probs, len(given), len(labels), max_share)
    sets = [[index[label] for label in row] for row in given]
    ranked = find_label_issues(
        sets, probs, multi_label=True, return_indices_ranked_by="self_confidence", n_jobs=1
    )
    scores = multilabel_scores(sets, probs)
    return [
        Suspect(
            int(r),
            tuple(given[r]),
            tuple(label for label, p in zip(labels, probs[r], strict=True) if p >= 0.5),
            float(scores[r]),
            CONFIDENT_LEARNING,
        )
        for r in ranked[: _cap(len(given), max_share)]
    ]


def _cap(rows: int, max_share: float) -> int:
    return int(np.floor(rows * max_share))


def _check(probs: np.ndarray, rows: int, columns: int, max_share: float) -> None:
    if probs.shape != (rows, columns):
        raise TuneloopError(
            f"label issues: probabilities of shape {probs.shape}, expected ({rows}, {columns})"
        )
    if not 0 < max_share <= 1:
        raise TuneloopError(f"label issues: --max-share is a share of the rows in (0, 1], not {max_share}")
