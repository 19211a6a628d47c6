"""One label per item from several annotators: majority vote, and Dawid-Skene when they differ in skill.

Majority vote treats every annotator the same and reports a tie as a tie (no label, the tied labels
listed): breaking it by coin or by label order would hand a guess to training as if people agreed.
Ties and low-support items are exactly the ones an adjudicator should see.

A label set (a multilabel answer) is decided label by label (`majority_set`): a label is in the
consensus set when more than half of the unit's annotators gave it. A label given by exactly half
of them is a tie, and the unit is left for adjudication like a single-label tie. Dawid-Skene runs
the same way, once per label on its present/absent decisions (`dawid_skene_sets`): an annotator's
skill differs by label (one who over-tags `why` is not careless with `card`), so one confusion
matrix per label and annotator fits what people do better than one over whole sets, of which a
48-label schema has too many to estimate.

Dawid & Skene (1979) estimate, by EM, one confusion matrix per annotator (how often they give label l
when the truth is k) and the class priors, then weigh each vote by what it says about the truth: a
careful annotator counts for more than a careless one, and one who systematically swaps two labels
becomes informative instead of noise. This is our own ~100 lines of numpy rather than crowd-kit,
which would pull pandas, attrs and more into the core package for one algorithm.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np

from tuneloop.annotate.per_label import members, presence
from tuneloop.annotate.reliability import AgreementError, MatrixLike, ReliabilityMatrix


@dataclass(frozen=True)
class MajorityLabel:
    """The majority label of one unit, or None with `tied` listing the labels that tied (or no rating)."""

    unit: Hashable
    label: Any | None
    votes: int
    n_ratings: int
    tied: tuple[Any, ...] = ()

    @property
    def support(self) -> float:
        """Share of the unit's ratings that went to the winning label (0 when unrated)."""
        return self.votes / self.n_ratings if self.n_ratings else 0.0


@dataclass(frozen=True, eq=False)
class DawidSkene:
    """Dawid-Skene estimates: per-unit posteriors, chosen labels and per-annotator quality.

    `posterior[u, k]` is P(true label of units[u] = classes[k]); `label[u]` is the most probable
    class, or None for a unit nobody rated or whose top posteriors tie. `confusion[j, k, l]` is
    P(coders[j] answers classes[l] | truth classes[k]); `accuracy[j]` is coders[j]'s expected accuracy
    under the estimated priors.
    """

    units: tuple[Hashable, ...]
    coders: tuple[Hashable, ...]
    classes: tuple[Any, ...]
    posterior: np.ndarray
    label: tuple[Any | None, ...]
    priors: np.ndarray
    confusion: np.ndarray
    accuracy: np.ndarray
    iterations: int
    converged: bool
    log_likelihood: float


def _observations(matrix: ReliabilityMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(coder, unit, class index) of every rating, and the sorted class values."""
    values = matrix.values
    coder, unit = np.nonzero(~np.isnan(values))
    if len(coder) == 0:
        raise AgreementError("no ratings in the matrix: nothing to build a consensus from")
    classes = np.unique(values[coder, unit])
    return coder, unit, np.searchsorted(classes, values[coder, unit]), classes


def _vote_counts(unit: np.ndarray, label: np.ndarray, n_units: int, k: int) -> np.ndarray:
    return np.bincount(unit * k + label, minlength=n_units * k).reshape(n_units, k)


def majority_vote(data: MatrixLike) -> list[MajorityLabel]:
    """The most frequent label of each unit; ties and unrated units get label None."""
    matrix = ReliabilityMatrix.coerce(data)
    _, unit, label, classes = _observations(matrix)
    counts = _vote_counts(unit, label, len(matrix.units), len(classes))
    top = counts.max(axis=1)
    out = []
    for u, unit_id in enumerate(matrix.units):
        winners = np.flatnonzero(counts[u] == top[u]) if top[u] else np.array([], dtype=int)
        names = tuple(matrix.label(classes[w]) for w in winners)
        n = int(counts[u].sum())
        if len(winners) == 1:
            out.append(MajorityLabel(unit_id, names[0], int(top[u]), n))
        else:
            out.append(MajorityLabel(unit_id, None, int(top[u]), n, names))
    return out


def majority_set(data: MatrixLike) -> list[MajorityLabel]:
    """The consensus set of each unit of label-set ratings: the labels more than half of its
    annotators gave (sorted); None with `tied` listing the labels exactly half gave, or for an
    unrated unit. `votes` counts the ratings that are exactly the consensus set."""
    matrix = ReliabilityMatrix.coerce(data)
    names = members(matrix)
    n = (~np.isnan(matrix.values)).sum(axis=0)
    given = np.array([np.nansum(presence(matrix, [name]).values, axis=0) for name in names]).reshape(
        len(names), len(matrix.units)
    )  # no label in any set: no rows
    out = []
    for u, unit in enumerate(matrix.units):
        chosen = tuple(names[i] for i in np.flatnonzero(2 * given[:, u] > n[u]))
        tied = tuple(names[i] for i in np.flatnonzero(2 * given[:, u] == n[u])) if n[u] else ()
        same = sum(
            1
            for value in matrix.values[:, u]
            if not np.isnan(value) and set(matrix.label(value)) == set(chosen)
        )
        decided = None if tied or not n[u] else chosen
        out.append(MajorityLabel(unit, decided, same if decided is not None else 0, int(n[u]), tied))
    return out


def dawid_skene_sets(data: MatrixLike, **options: Any) -> dict[Hashable, tuple[Any, ...] | None]:
    """Each unit's label set by Dawid-Skene run per label on its present/absent decisions (labels
    sorted); None where a label's posterior ties or the unit is unrated. `options` go to
    `dawid_skene`."""
    matrix = ReliabilityMatrix.coerce(data)
    names = members(matrix)
    chosen: dict[Hashable, list[Any] | None] = {unit: [] for unit in matrix.units}
    for name in names:
        binary = presence(matrix, [name])
        if np.nanmin(binary.values) == np.nanmax(binary.values):  # one answer everywhere: nothing to weigh
            rated = ~np.isnan(binary.values).all(axis=0)
            value = float(np.nanmax(binary.values))
            model_labels: list[Any] = [value if r else None for r in rated]
        else:
            model_labels = list(dawid_skene(binary, **options).label)
        for unit, present in zip(matrix.units, model_labels, strict=True):
            current = chosen[unit]
            if current is None or present is None:
                chosen[unit] = None
            elif present == 1:
                current.append(name)
    return {unit: None if labels is None else tuple(labels) for unit, labels in chosen.items()}


def dawid_skene(
    data: MatrixLike,
    max_iter: int = 100,
    tol: float = 1e-6,
    smoothing: float = 0.01,
    init: Literal["majority", "random"] = "majority",
    seed: int = 0,
) -> DawidSkene:
    """Dawid-Skene EM over per-annotator confusion matrices.

    Starts from the soft majority vote (each unit's vote shares; a tie starts split evenly). That
    start is what ties the estimated classes to the labels' names, so it is the default and the
    result is deterministic. `init="random"` starts from posteriors drawn with `seed`, to probe for
    other optima; compare `log_likelihood`, and expect a random start to find the classes under
    permuted names (EM alone can't tell which class is called what). Stops when the mean
    log-likelihood per rating changes by less than `tol`, or after `max_iter` rounds (`converged`
    says which). `smoothing` is a pseudo-count added to every confusion cell and prior, so an
    annotator who never used a label is not certain never to use it.
    """
    if init not in ("majority", "random"):
        raise AgreementError(f"unknown init {init!r}; use 'majority' or 'random'")
    if max_iter < 1 or tol <= 0 or smoothing < 0:
        raise AgreementError("dawid_skene needs max_iter >= 1, tol > 0 and smoothing >= 0")
    matrix = ReliabilityMatrix.coerce(data)
    coder, unit, label, classes = _observations(matrix)
    ratings = _Ratings(coder, unit, label, len(matrix.units), len(matrix.coders), len(classes))
    counts = _vote_counts(unit, label, ratings.n_units, ratings.k).astype(float)
    rated = counts.sum(axis=1) > 0
    posterior = _initial_posterior(counts, rated, init, seed)

    previous, converged, iterations, log_likelihood = -np.inf, False, 0, -np.inf
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        priors, confusion = _m_step(ratings, posterior, smoothing)
        posterior, log_likelihood = _e_step(ratings, priors, confusion)
        if abs(log_likelihood - previous) / len(coder) < tol:
            converged = True
            break
        previous = log_likelihood

    return DawidSkene(
        units=matrix.units,
        coders=matrix.coders,
        classes=tuple(matrix.label(c) for c in classes),
        posterior=posterior,
        label=_chosen_labels(matrix, classes, posterior, rated),
        priors=priors,
        confusion=confusion,
        accuracy=np.einsum("k,jkk->j", priors, confusion),
        iterations=iterations,
        converged=converged,
        log_likelihood=log_likelihood,
    )


class _Ratings(NamedTuple):
    """Every rating as (coder, unit, class index), with the sizes EM works over."""

    coder: np.ndarray
    unit: np.ndarray
    label: np.ndarray
    n_units: int
    n_coders: int
    k: int


def _initial_posterior(counts: np.ndarray, rated: np.ndarray, init: str, seed: int) -> np.ndarray:
    """The soft majority vote (uniform for an unrated unit), or posteriors drawn with `seed`."""
    n_units, k = counts.shape
    if init == "random":
        return np.random.default_rng(seed).dirichlet(np.ones(k), size=n_units)
    posterior = np.full((n_units, k), 1.0 / k)
    posterior[rated] = counts[rated] / counts[rated].sum(axis=1, keepdims=True)
    return posterior


def _m_step(ratings: _Ratings, posterior: np.ndarray, smoothing: float) -> tuple[np.ndarray, np.ndarray]:
    """Priors and per-coder confusion matrices from the current posteriors."""
    coder, unit, label, n_units, n_coders, k = ratings
    priors = (posterior.sum(axis=0) + smoothing) / (n_units + k * smoothing)
    confusion = np.full((n_coders, k, k), smoothing)
    for truth in range(k):
        confusion[:, truth, :] += np.bincount(
            coder * k + label, weights=posterior[unit, truth], minlength=n_coders * k
        ).reshape(n_coders, k)
    totals = confusion.sum(axis=2, keepdims=True)
    confusion = np.divide(confusion, totals, out=np.full_like(confusion, 1.0 / k), where=totals > 0)
    return priors, confusion


def _e_step(ratings: _Ratings, priors: np.ndarray, confusion: np.ndarray) -> tuple[np.ndarray, float]:
    """The posterior of each unit's truth given every rating it got, and the log-likelihood."""
    coder, unit, label, n_units, _, k = ratings
    with np.errstate(divide="ignore"):
        log_confusion, log_priors = np.log(confusion), np.log(priors)
    evidence = log_confusion[coder, :, label]
    joint = np.tile(log_priors, (n_units, 1))
    for truth in range(k):
        joint[:, truth] += np.bincount(unit, weights=evidence[:, truth], minlength=n_units)
    peak = joint.max(axis=1, keepdims=True)
    norm = peak + np.log(np.exp(joint - peak).sum(axis=1, keepdims=True))
    return np.exp(joint - norm), float(norm.sum())


def _chosen_labels(
    matrix: ReliabilityMatrix, classes: np.ndarray, posterior: np.ndarray, rated: np.ndarray
) -> tuple[Any | None, ...]:
    """Each unit's most probable label; None for an unrated unit or a tie at the top."""
    n_units, k = posterior.shape
    order = np.sort(posterior, axis=1)
    tie = (order[:, -1] - order[:, -2] < 1e-9) if k > 1 else np.zeros(n_units, dtype=bool)
    best = posterior.argmax(axis=1)
    return tuple(matrix.label(classes[best[u]]) if rated[u] and not tie[u] else None for u in range(n_units))
