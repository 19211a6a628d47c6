"""Has what the model is asked moved away from what it learnt from? Two tests, each calibrated.

**Inputs: a domain classifier.** Mix the training inputs (label 0) and the served inputs (label 1)
and ask a TF-IDF logistic regression to tell them apart, cross-validated: the out-of-fold ROC AUC
is near 0.5 when the two come from one distribution and rises as they part. "Near" is measured,
not guessed: the same classifier is refitted on the same texts with the 0/1 labels shuffled
`permutations` times, and drift is an AUC above the 95th percentile of those shuffled AUCs (the
rule Evidently's text drift uses, with shuffled labels instead of random scores, so the
cross-validation's own bias is in the null as well). The percentile is the permutation test's
order statistic, not an interpolated one: drift is p = (1 + shuffled AUCs at or above the
observed) / (1 + permutations) <= 5%. Under no drift the observed AUC is one more draw from the
shuffled distribution, so the false-alarm rate is at most the level, whatever the data (exactly
5% at 19 or 39 shuffles; an interpolated percentile of 19 shuffles alarms about twice as often);
`tests/unit/feedback/test_drift.py` checks it on replays of BANKING77. The TF-IDF is fitted
once on all texts, unsupervised, so every shuffle sees the same features. The words that most
mark the served side are kept, for the person who reads the report.

**Inputs are distinct texts.** Each side is deduplicated (`clean_text`) before it is sampled: a
text asked many times, or a training row upsampled, would sit in a training fold and a held-out
fold at once, and the classifier would recognise it, a rise of the AUC the shuffles do not share.

**Answers: the predicted label distribution** against the training labels: total variation
distance, and a permutation test of homogeneity. The statistic is Pearson's chi-squared of the
2 x labels table, but its p-value is not the asymptotic one (on a sparse table of many rare
labels that alarms two to four times as often as its level): the rows (each answer's label set,
an empty set as the pseudo-label `(no label)`) are shuffled between the two sides, whole, and
p = (1 + shuffled statistics at or above the observed) / (1 + permutations), which keeps the
false-alarm rate at most the level for label sets as well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.stats import rankdata
from sklearn import config_context
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from tuneloop.data.normalise import clean_text
from tuneloop.errors import TuneloopError

LEVEL = 0.05  # the false-alarm rate each test is calibrated to
PERMUTATIONS = 50
LABEL_PERMUTATIONS = 999  # cheap: the label test refits nothing
NO_LABEL = "(no label)"  # the column of an answer with an empty label set
FOLDS = 5
MAX_ROWS = 2000  # per side, sampled: the AUC is as telling on 2,000 rows and costs a fraction
MIN_ROWS = 20  # per side: below it the AUC's null is too wide to call anything
TOP_TERMS = 10
MOVED_LABELS = 10


class NoSharedTerms(TuneloopError):
    """The inputs share no term (each word occurs once): the domain test has no features."""


@dataclass(frozen=True)
class DomainDrift:
    """The domain classifier's verdict on `reference` (training) against `current` (served) inputs."""

    auc: float
    threshold: float  # the AUC to exceed: the shuffled AUCs' order statistic at (1 - LEVEL)
    p_value: float  # (1 + shuffled AUCs at or above the observed) / (1 + permutations)
    drifted: bool
    reference: int
    current: int
    permutations: int
    marking_terms: list[str]  # the n-grams that most mark served inputs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LabelShift:
    """The predicted labels of served answers against the training labels."""

    distance: float  # total variation distance of the two label distributions
    p_value: float | None  # permutation chi-squared test; None when one label is all there is
    drifted: bool
    training: int  # label occurrences (an empty set counts once, as NO_LABEL)
    served: int
    permutations: int
    moved: list[dict[str, Any]]  # label, training share, served share, largest change first

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def domain_drift(
    reference: Sequence[str],
    current: Sequence[str],
    permutations: int = PERMUTATIONS,
    seed: int = 0,
    folds: int = FOLDS,
) -> DomainDrift:
    """Whether `current` inputs drifted from `reference` ones, by the shuffled-label domain test."""
    rng = np.random.default_rng(seed)
    ref, cur = _sample(reference, rng), _sample(current, rng)
    for name, rows in (("training", ref), ("served", cur)):
        if len(rows) < MIN_ROWS:
            raise TuneloopError(f"drift needs at least {MIN_ROWS} {name} inputs; there are {len(rows)}")
    if permutations < round(1 / LEVEL) - 1:
        raise TuneloopError(f"permutations must be at least {round(1 / LEVEL) - 1} for a {LEVEL:.0%} test")
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    try:
        features = vectorizer.fit_transform([*ref, *cur])
    except ValueError as error:  # no word is in two inputs: nothing for a classifier to learn
        raise NoSharedTerms(f"no word or word pair occurs in two of the inputs ({error})") from None
    side = np.array([0] * len(ref) + [1] * len(cur))
    # Folds drawn without the labels: stratifying on the observed labels would favour them over
    # every shuffle (a CV AUC's downward bias under no signal comes from unbalanced folds), and the
    # test then alarms about twice as often as its level.
    splits = [
        (train, held_out, features[train], features[held_out])  # sliced once, for every shuffle
        for train, held_out in KFold(folds, shuffle=True, random_state=seed).split(features)
    ]
    observed = _cv_auc(features, side, splits)
    shuffled = np.sort([_cv_auc(features, rng.permutation(side), splits) for _ in range(permutations)])
    p_value = float((1 + np.sum(shuffled >= observed)) / (1 + permutations))
    rank = min(permutations, math.ceil((1 - LEVEL) * (permutations + 1)))  # p <= LEVEL beyond it
    return DomainDrift(
        auc=observed,
        threshold=float(shuffled[rank - 1]),
        p_value=p_value,
        drifted=p_value <= LEVEL,
        reference=len(ref),
        current=len(cur),
        permutations=permutations,
        marking_terms=_marking_terms(features, side, vectorizer.get_feature_names_out()),
    )


def label_shift(
    training: Sequence[Sequence[str]],
    served: Sequence[Sequence[str]],
    permutations: int = LABEL_PERMUTATIONS,
    seed: int = 0,
) -> LabelShift:
    """Whether the labels served (one label set per answer; a one-label task's sets hold one)
    are distributed as the training labels are, by the row-permutation test of the module doc."""
    if not training or not served:
        raise TuneloopError("label shift needs answers on both sides: training rows and served answers")
    if permutations < round(1 / LEVEL) - 1:
        raise TuneloopError(f"permutations must be at least {round(1 / LEVEL) - 1} for a {LEVEL:.0%} test")
    sets = [set(row) or {NO_LABEL} for row in [*served, *training]]
    labels = sorted(set().union(*sets))
    counts = _row_counts(sets, labels)
    table = np.vstack([_sums(counts[len(served) :]), _sums(counts[: len(served)])])
    shares = table / table.sum(axis=1, keepdims=True)
    p_value = _permutation_p(counts, len(served), permutations, seed) if len(labels) > 1 else None
    change = shares[1] - shares[0]
    moved = [
        {"label": labels[i], "training_share": float(shares[0, i]), "served_share": float(shares[1, i])}
        for i in np.argsort(-np.abs(change), kind="stable")[:MOVED_LABELS]
    ]
    return LabelShift(
        distance=float(np.abs(change).sum() / 2),
        p_value=p_value,
        drifted=p_value is not None and p_value <= LEVEL,
        training=int(table[0].sum()),
        served=int(table[1].sum()),
        permutations=permutations,
        moved=moved,
    )


def _row_counts(sets: list[set[str]], labels: list[str]) -> Any:
    """Rows x labels, 1 where the row's set holds the label (sparse: most labels are absent)."""
    column = {label: i for i, label in enumerate(labels)}
    rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    columns = [column[label] for s in sets for label in s]
    return csr_matrix((np.ones(len(columns)), (rows, columns)), shape=(len(sets), len(labels)))


def _permutation_p(counts: Any, served: int, permutations: int, seed: int) -> float:
    """(1 + shuffles whose chi-squared is at or above the observed) / (1 + shuffles); a shuffle
    draws `served` of the rows for the served side, whole, the rest being the training side."""
    rng = np.random.default_rng(seed)
    total = _sums(counts)
    observed = float(_chi2(_sums(counts[:served])[None, :], total)[0])
    hits = 0
    for start in range(0, permutations, 100):  # bounded memory, however many rows
        batch = min(100, permutations - start)
        drawn = np.concatenate([rng.choice(counts.shape[0], served, replace=False) for _ in range(batch)])
        pick = csr_matrix((np.ones(len(drawn)), (np.repeat(np.arange(batch), served), drawn)),
                          shape=(batch, counts.shape[0]))  # fmt: skip
        statistics = _chi2((pick @ counts).toarray(), total)
        hits += int(np.sum(statistics >= observed - 1e-9 * max(1.0, observed)))
    return (1 + hits) / (1 + permutations)


def _sums(counts: Any) -> np.ndarray:
    """A sparse block's column sums, as a flat array."""
    return np.asarray(counts.sum(axis=0)).ravel()


def _chi2(served: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Pearson's chi-squared of each 2 x labels table (one served row of counts per table)."""
    sides = np.stack([total - served, served], axis=1)  # tables x 2 x labels
    expected = sides.sum(axis=2, keepdims=True) * total / total.sum()
    return np.asarray(((sides - expected) ** 2 / expected).sum(axis=(1, 2)))


def distinct_texts(texts: Sequence[str]) -> list[str]:
    """Each input once, as `clean_text` writes it; blank ones dropped."""
    return list(dict.fromkeys(cleaned for text in texts if (cleaned := clean_text(text or ""))))


def _sample(texts: Sequence[str], rng: np.random.Generator) -> list[str]:
    rows = distinct_texts(texts)
    if len(rows) <= MAX_ROWS:
        return rows
    return [rows[i] for i in sorted(rng.choice(len(rows), MAX_ROWS, replace=False))]


def _classifier() -> LogisticRegression:
    return LogisticRegression(C=1.0, solver="liblinear", random_state=0)


def _cv_auc(features: Any, side: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray, Any, Any]]) -> float:
    """The out-of-fold ROC AUC (the same folds for every shuffle: only the labels move). A
    monitor check fits thousands of these small models: scikit-learn's input validation, which
    the fixed, finite TF-IDF matrix does not need, would take half the time."""
    scores = np.empty(len(side))
    with config_context(assume_finite=True, skip_parameter_validation=True):
        for train, held_out, train_features, held_out_features in splits:
            model = _classifier().fit(train_features, side[train])
            scores[held_out] = model.decision_function(held_out_features)
    return _auc(side, scores)


def _auc(side: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count half), as `roc_auc_score` gives it."""
    ranks = rankdata(scores)
    positives = int(side.sum())
    negatives = len(side) - positives
    return float((ranks[side == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _marking_terms(features: Any, side: np.ndarray, names: np.ndarray) -> list[str]:
    weights = _classifier().fit(features, side).coef_[0]
    return [str(names[i]) for i in np.argsort(-weights)[:TOP_TERMS] if weights[i] > 0]
