"""Agreement by coder: each coder against the others (and against gold labels), and every pair.

These say who to talk to when agreement is low: a coder far below the others, or a pair that splits
where everyone else agrees. Both use Cohen's kappa and percent agreement on the units that coders
share (`annotate/kappa.py`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from tuneloop.annotate.kappa import confusion_table, kappa_from_confusion
from tuneloop.annotate.reliability import AgreementError, MatrixLike
from tuneloop.annotate.value_counts import coders_matrix, distinct_values, value_counts


@dataclass(frozen=True)
class AnnotatorAgreement:
    """One coder against the others and, when gold labels are given, against gold.

    `percent` and `kappa` pool every (this coder, other coder) pair of ratings on a shared unit, so a
    coder who shares many units with others weighs more than one who shares few. The gold fields
    are None when no gold is given or this coder rated no unit that has a gold label.
    """

    coder: Hashable
    n_units: int
    n_pairs: int
    percent: float
    kappa: float
    gold_units: int = 0
    gold_accuracy: float | None = None
    gold_kappa: float | None = None


@dataclass(frozen=True, eq=False)
class PairwiseAgreement:
    """Cohen's kappa and percent agreement for every pair of coders (symmetric, NaN diagonal).

    A pair with no shared unit has NaN; `n_units[i, j]` is how many units both rated.
    """

    coders: tuple[Hashable, ...]
    kappa: np.ndarray
    percent: np.ndarray
    n_units: np.ndarray


def agreement_per_annotator(
    data: MatrixLike, gold: np.ndarray | Sequence[float | None] | None = None
) -> list[AnnotatorAgreement]:
    """Each coder against the others (pooled pairs on shared units) and against `gold`.

    `gold` is one value per unit encoded like the matrix (NaN = no gold); build it from a mapping of
    unit id to label with `ReliabilityMatrix.gold_vector`.
    """
    matrix = coders_matrix(data)
    values = matrix.values
    domain = distinct_values(values)
    gold_values = None
    if gold is not None:
        gold_values = np.array([np.nan if g is None else g for g in gold], dtype=float)
        if gold_values.shape != (values.shape[1],):
            raise AgreementError(
                f"gold needs one value per unit ({values.shape[1]}); got shape {gold_values.shape}"
            )
        domain = np.union1d(domain, distinct_values(gold_values[None, :]))
    counts = value_counts(values, domain)
    k = len(domain)
    out = []
    for i, coder in enumerate(matrix.coders):
        own = values[i]
        rated = ~np.isnan(own)
        own_index = np.searchsorted(domain, own[rated])
        others = counts[rated].astype(float)
        others[np.arange(len(own_index)), own_index] -= 1
        onehot = np.zeros((len(own_index), k))
        onehot[np.arange(len(own_index)), own_index] = 1.0
        confusion = onehot.T @ others
        pairs = int(confusion.sum())
        shared = int((others.sum(axis=1) > 0).sum())
        row = AnnotatorAgreement(
            coder=coder,
            n_units=shared,
            n_pairs=pairs,
            percent=float(np.trace(confusion) / pairs) if pairs else float("nan"),
            kappa=kappa_from_confusion(confusion) if pairs else float("nan"),
        )
        if gold_values is not None:
            both = rated & ~np.isnan(gold_values)
            if both.any():
                a, g = own[both], gold_values[both]
                row = replace(
                    row,
                    gold_units=int(both.sum()),
                    gold_accuracy=float(np.mean(a == g)),
                    gold_kappa=kappa_from_confusion(confusion_table(a, g, domain)),
                )
        out.append(row)
    return out


def pairwise_agreement(data: MatrixLike) -> PairwiseAgreement:
    """Cohen's kappa and percent agreement for every pair of coders, on the units each pair shares."""
    matrix = coders_matrix(data)
    values = matrix.values
    domain = distinct_values(values)
    c = len(matrix.coders)
    kappa, percent = np.full((c, c), np.nan), np.full((c, c), np.nan)
    shared = np.zeros((c, c), dtype=int)
    rated = ~np.isnan(values)
    for i in range(c):
        for j in range(i + 1, c):
            both = rated[i] & rated[j]
            shared[i, j] = shared[j, i] = int(both.sum())
            if both.any():
                confusion = confusion_table(values[i, both], values[j, both], domain)
                kappa[i, j] = kappa[j, i] = kappa_from_confusion(confusion)
                percent[i, j] = percent[j, i] = float(np.trace(confusion) / both.sum())
    return PairwiseAgreement(matrix.coders, kappa, percent, shared)
