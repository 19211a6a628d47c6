"""How far annotators agree: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

Our own numpy code, because the reference `krippendorff` package is GPL-3.0 (see DESIGN.md); tests
check it against Krippendorff's published example and against that package, sklearn and
statsmodels. Everything works on a `ReliabilityMatrix` (coders x units, NaN = not rated).

Alpha follows the coincidence-matrix formulation of Krippendorff (2011), "Computing Krippendorff's
Alpha-Reliability": a unit with m ratings contributes each ordered pair of its ratings with weight
1/(m-1), so units rated by any number (>= 2) of coders count, and a unit with one rating is not
pairable and is ignored. Cost is O(units x values^2) in time and O(units x values) in memory, for the
distinct values that occur — fine for label sets and rating scales, not for free-form real numbers.

Undefined values are NaN, not errors: alpha (or kappa) is 0/0 when every pairable rating is the
same value — no variation, so agreement can't be told from chance. A per-label table or a bootstrap
resample can hit that on one row; an exception there would lose every other row. Input that can't
be measured at all (fewer than 2 coders, no unit rated twice, an unknown level) raises
`AgreementError`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

import numpy as np

from tuneloop.annotate.reliability import AgreementError, MatrixLike, ReliabilityMatrix

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[str, ...] = get_args(Level)
# Units per block when counting values, so memory stays bounded on big matrices.
_BLOCK_CELLS = 1 << 22


@dataclass(frozen=True)
class ConfidenceInterval:
    """A bootstrap percentile interval over units; `n_units` is how many units the estimate rests on."""

    estimate: float
    low: float
    high: float
    n_units: int
    n_boot: int
    confidence: float


@dataclass(frozen=True)
class LabelAgreement:
    """Alpha for one label against all the others (ratings binarised), and how often it was given."""

    label: Any
    alpha: float
    n_ratings: int


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


# ---------------------------------------------------------------- shared pieces


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise AgreementError(f"unknown level of measurement {level!r}; use one of {', '.join(LEVELS)}")


def _matrix(data: MatrixLike) -> ReliabilityMatrix:
    matrix = ReliabilityMatrix.coerce(data)
    if matrix.values.shape[0] < 2:
        raise AgreementError(
            f"agreement needs at least 2 coders; got {matrix.values.shape[0]} "
            "(rows are coders, columns are units)"
        )
    return matrix


def _small_integers(present: np.ndarray) -> bool:
    """Whole numbers in a short range (labels as codes, rating scales): indexable without sorting."""
    if len(present) == 0:
        return False
    low, high = present.min(), present.max()
    return bool(high - low < _BLOCK_CELLS and np.array_equal(present, np.floor(present)))


def _domain(values: np.ndarray) -> np.ndarray:
    """The distinct rated values, sorted."""
    present = values[~np.isnan(values)]
    if _small_integers(present):
        low = present.min()
        return np.flatnonzero(np.bincount((present - low).astype(np.int64))) + low
    return np.unique(present)


def _index(present: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """Position of each value in `domain` (a lookup table for small integers, else binary search)."""
    if _small_integers(domain):
        low = int(domain[0])
        table = np.zeros(int(domain[-1]) - low + 1, dtype=np.int64)
        table[(domain - low).astype(np.int64)] = np.arange(len(domain))
        return table[(present - low).astype(np.int64)]
    return np.searchsorted(domain, present)


def _counts(values: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """counts[u, v]: how many coders gave unit u the value domain[v]."""
    n_units, k = values.shape[1], len(domain)
    rated = ~np.isnan(values)
    unit_index = np.broadcast_to(np.arange(n_units), values.shape)[rated]
    value_index = _index(values[rated], domain)
    return np.bincount(unit_index * k + value_index, minlength=n_units * k).reshape(n_units, k)


def _pairable(counts: np.ndarray) -> np.ndarray:
    return counts[counts.sum(axis=1) >= 2]


def _require_pairable(counts: np.ndarray, what: str) -> None:
    if len(counts) == 0:
        raise AgreementError(
            f"{what} needs units rated by at least 2 coders; no unit is (a unit with one rating can't "
            "show agreement)"
        )


def _coincidences(counts: np.ndarray) -> np.ndarray:
    """Krippendorff's coincidence matrix o[c, k] from the counts of pairable units."""
    k = counts.shape[1]
    out = np.zeros((k, k))
    block = max(1, _BLOCK_CELLS // max(k, 1))
    for start in range(0, len(counts), block):
        c = counts[start : start + block].astype(float)
        weighted = c / (c.sum(axis=1, keepdims=True) - 1)
        out += weighted.T @ c
        out -= np.diag(weighted.sum(axis=0))
    return out


def _delta(domain: np.ndarray, level: str, marginals: np.ndarray) -> np.ndarray:
    """Squared difference function delta^2[c, k] (batched over leading axes of `marginals`)."""
    if level == "nominal":
        return 1.0 - np.eye(len(domain))
    if level == "interval":
        return np.subtract.outer(domain, domain) ** 2
    if level == "ratio":
        total = np.add.outer(domain, domain)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(total == 0, 0.0, np.subtract.outer(domain, domain) / total)
        return ratio**2
    # ordinal: the marginal mass between the two ranks, less half of the two ends.
    index = np.arange(len(domain))
    lo, hi = np.minimum.outer(index, index), np.maximum.outer(index, index)
    cum = np.cumsum(marginals, axis=-1)
    between = cum[..., hi] - cum[..., lo] + marginals[..., lo]
    ends = (marginals[..., :, None] + marginals[..., None, :]) / 2
    return np.asarray((between - ends) ** 2)


def _alpha_from(coincidences: np.ndarray, domain: np.ndarray, level: str) -> np.ndarray:
    """Alpha from (a batch of) coincidence matrices; NaN where expected disagreement is 0."""
    marginals = coincidences.sum(axis=-1)
    n = marginals.sum(axis=-1)
    delta = _delta(domain, level, marginals)
    observed = (coincidences * delta).sum(axis=(-2, -1))
    expected = (marginals[..., :, None] * marginals[..., None, :] * delta).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = 1.0 - (n - 1) * observed / expected
    return np.where(expected > 0, alpha, np.nan)


def _level_values(matrix: ReliabilityMatrix, level: str) -> np.ndarray:
    _check_level(level)
    values = matrix.numeric() if level in ("interval", "ratio") else matrix.values
    if level == "ratio" and np.nanmin(values, initial=0.0) < 0:
        raise AgreementError("ratio agreement needs non-negative ratings (a ratio scale has a true zero)")
    return values


def _kappa_from_confusion(confusion: np.ndarray, weights: str | None = None) -> float:
    """Cohen's kappa from a square table of rating pairs (rows: one rater, columns: the other)."""
    k = len(confusion)
    index = np.arange(k)
    if weights is None:
        w = 1.0 - np.eye(k)
    elif weights == "linear":
        w = np.abs(np.subtract.outer(index, index)).astype(float)
    elif weights == "quadratic":
        w = np.subtract.outer(index, index).astype(float) ** 2
    else:
        raise AgreementError(f"unknown kappa weights {weights!r}; use None, 'linear' or 'quadratic'")
    total = confusion.sum()
    expected = np.outer(confusion.sum(axis=1), confusion.sum(axis=0)) / total
    disagree_expected = float((w * expected).sum())
    if disagree_expected == 0:
        return float("nan")
    return 1.0 - float((w * confusion).sum()) / disagree_expected


def _confusion(a: np.ndarray, b: np.ndarray, domain: np.ndarray) -> np.ndarray:
    k = len(domain)
    ia, ib = np.searchsorted(domain, a), np.searchsorted(domain, b)
    return np.bincount(ia * k + ib, minlength=k * k).reshape(k, k).astype(float)


def _coder_index(matrix: ReliabilityMatrix, coder: Hashable) -> int:
    if coder in matrix.coders:
        return matrix.coders.index(coder)
    raise AgreementError(f"no coder {coder!r}; coders are {list(matrix.coders)!r}")


# ---------------------------------------------------------------- the coefficients


def krippendorff_alpha(data: MatrixLike, level: Level | str = "nominal") -> float:
    """Krippendorff's alpha at `level` (nominal, ordinal, interval, ratio); NaN if undefined.

    Ordinal ranks follow the sorted values (for categorical labels: the label order of the matrix).
    Interval and ratio use the numeric ratings, so they need numeric values or numeric labels.
    """
    matrix = _matrix(data)
    values = _level_values(matrix, level)
    domain = _domain(values)
    counts = _pairable(_counts(values, domain))
    _require_pairable(counts, "Krippendorff's alpha")
    return float(_alpha_from(_coincidences(counts), domain, level))


def percent_agreement(data: MatrixLike) -> float:
    """Share of agreeing coder pairs per unit, averaged over the units rated at least twice.

    Each unit weighs the same whatever its number of coders (a unit rated by 2 has one pair, by 4
    six); pairs compare exact values, so this is a nominal measure.
    """
    matrix = _matrix(data)
    counts = _pairable(_counts(matrix.values, _domain(matrix.values))).astype(float)
    _require_pairable(counts, "percent agreement")
    m = counts.sum(axis=1)
    return float(np.mean((counts * (counts - 1)).sum(axis=1) / (m * (m - 1))))


def cohen_kappa(
    data: MatrixLike,
    coders: tuple[Hashable, Hashable] | None = None,
    weights: Literal["linear", "quadratic"] | None = None,
) -> float:
    """Cohen's kappa between two coders over the units both rated; NaN if chance agreement is 1.

    With more than two coders, name the two in `coders`. `weights` (linear, quadratic) penalise a
    disagreement by its distance in rank, as sklearn's `cohen_kappa_score` does.
    """
    matrix = _matrix(data)
    if coders is None:
        if len(matrix.coders) != 2:
            raise AgreementError(
                f"Cohen's kappa compares two coders; the matrix has {len(matrix.coders)}: pass coders=(a, b)"
            )
        i, j = 0, 1
    else:
        i, j = (_coder_index(matrix, c) for c in coders)
    a, b = matrix.values[i], matrix.values[j]
    both = ~np.isnan(a) & ~np.isnan(b)
    if not both.any():
        raise AgreementError(
            f"coders {matrix.coders[i]!r} and {matrix.coders[j]!r} rated no unit in common: no kappa"
        )
    domain = _domain(np.concatenate([a[both], b[both]]))
    return _kappa_from_confusion(_confusion(a[both], b[both], domain), weights)


def fleiss_kappa(data: MatrixLike, raters: int | None = None) -> float:
    """Fleiss' kappa; needs the same number of ratings on every unit it uses.

    Fleiss' formula assumes each unit was rated n times. With `raters=None` every rated unit must
    have the same count, or this raises and says what counts it found; `raters=n` uses only the
    units rated exactly n times (and says so if there are none). For varying numbers of coders,
    Krippendorff's alpha is the coefficient built for it.
    """
    matrix = _matrix(data)
    counts = _counts(matrix.values, _domain(matrix.values))
    per_unit = counts.sum(axis=1)
    if raters is None:
        found = np.unique(per_unit[per_unit > 0])
        if len(found) > 1:
            tally = ", ".join(f"{int((per_unit == n).sum())} units with {n}" for n in found)
            raise AgreementError(
                f"Fleiss' kappa needs the same number of ratings on every unit; found {tally}. "
                "Pass raters=N to use only the units rated N times, or use Krippendorff's alpha"
            )
        raters = int(found[0]) if len(found) else 0
    if raters < 2:
        raise AgreementError(f"Fleiss' kappa needs at least 2 ratings per unit; got raters={raters}")
    table = counts[per_unit == raters].astype(float)
    if len(table) == 0:
        raise AgreementError(f"no unit has exactly {raters} ratings, so Fleiss' kappa has nothing to use")
    observed = float(np.mean(((table * table).sum(axis=1) - raters) / (raters * (raters - 1))))
    shares = table.sum(axis=0) / table.sum()
    chance = float((shares * shares).sum())
    if chance == 1.0:
        return float("nan")
    return (observed - chance) / (1.0 - chance)


# ---------------------------------------------------------------- breakdowns


def alpha_per_label(data: MatrixLike) -> list[LabelAgreement]:
    """Nominal alpha of each label against the rest: which labels the coders apply consistently.

    A label nobody confuses scores near 1 even when overall alpha is low; a label given at random
    scores near 0. Undefined (NaN) for a label given on every pairable rating or on none.
    """
    matrix = _matrix(data)
    values = matrix.values
    rated = ~np.isnan(values)
    out = []
    for value in _domain(values):
        binary = np.where(rated, (values == value).astype(float), np.nan)
        counts = _pairable(_counts(binary, np.array([0.0, 1.0])))
        _require_pairable(counts, "per-label alpha")
        alpha = float(_alpha_from(_coincidences(counts), np.array([0.0, 1.0]), "nominal"))
        out.append(LabelAgreement(matrix.label(value), alpha, int((values == value).sum())))
    return out


def agreement_per_annotator(
    data: MatrixLike, gold: np.ndarray | Sequence[float | None] | None = None
) -> list[AnnotatorAgreement]:
    """Each coder against the others (pooled pairs on shared units) and against `gold`.

    `gold` is one value per unit encoded like the matrix (NaN = no gold); build it from a mapping of
    unit id to label with `ReliabilityMatrix.gold_vector`.
    """
    matrix = _matrix(data)
    values = matrix.values
    domain = _domain(values)
    gold_values = None
    if gold is not None:
        gold_values = np.array([np.nan if g is None else g for g in gold], dtype=float)
        if gold_values.shape != (values.shape[1],):
            raise AgreementError(
                f"gold needs one value per unit ({values.shape[1]}); got shape {gold_values.shape}"
            )
        domain = np.union1d(domain, _domain(gold_values[None, :]))
    counts = _counts(values, domain)
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
            kappa=_kappa_from_confusion(confusion) if pairs else float("nan"),
        )
        if gold_values is not None:
            both = rated & ~np.isnan(gold_values)
            if both.any():
                a, g = own[both], gold_values[both]
                row = replace(
                    row,
                    gold_units=int(both.sum()),
                    gold_accuracy=float(np.mean(a == g)),
                    gold_kappa=_kappa_from_confusion(_confusion(a, g, domain)),
                )
        out.append(row)
    return out


def pairwise_agreement(data: MatrixLike) -> PairwiseAgreement:
    """Cohen's kappa and percent agreement for every pair of coders, on the units each pair shares."""
    matrix = _matrix(data)
    values = matrix.values
    domain = _domain(values)
    c = len(matrix.coders)
    kappa, percent = np.full((c, c), np.nan), np.full((c, c), np.nan)
    shared = np.zeros((c, c), dtype=int)
    rated = ~np.isnan(values)
    for i in range(c):
        for j in range(i + 1, c):
            both = rated[i] & rated[j]
            shared[i, j] = shared[j, i] = int(both.sum())
            if both.any():
                confusion = _confusion(values[i, both], values[j, both], domain)
                kappa[i, j] = kappa[j, i] = _kappa_from_confusion(confusion)
                percent[i, j] = percent[j, i] = float(np.trace(confusion) / both.sum())
    return PairwiseAgreement(matrix.coders, kappa, percent, shared)


# ---------------------------------------------------------------- bootstrap


def _interval(estimate: float, samples: np.ndarray, n_units: int, confidence: float) -> ConfidenceInterval:
    finite = samples[np.isfinite(samples)]
    tail = (1 - confidence) / 2 * 100
    if len(finite) == 0:
        return ConfidenceInterval(estimate, np.nan, np.nan, n_units, len(samples), confidence)
    low, high = (float(x) for x in np.percentile(finite, [tail, 100 - tail]))
    return ConfidenceInterval(estimate, low, high, n_units, len(samples), confidence)


def bootstrap_alpha(
    data: MatrixLike,
    level: Level | str = "nominal",
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> ConfidenceInterval:
    """Alpha with a percentile bootstrap interval over pairable units (resampled with replacement).

    Vectorised: units with the same value counts (the same pattern of ratings) contribute the same
    coincidences, and there are few patterns for a label set and a handful of coders. Each
    pattern's coincidence matrix is computed once, and each resample is a weighted sum of them
    (weights = how often the resample drew a unit of that pattern), so 1,000 resamples cost a few
    matrix products instead of 1,000 alpha computations. Resamples where alpha is undefined (no
    variation) are left out of the percentiles.
    """
    matrix = _matrix(data)
    values = _level_values(matrix, level)
    domain = _domain(values)
    counts = _pairable(_counts(values, domain))
    _require_pairable(counts, "Krippendorff's alpha")
    n, k = counts.shape
    estimate = float(_alpha_from(_coincidences(counts), domain, level))
    patterns, pattern_of = np.unique(counts, axis=0, return_inverse=True)
    patterns = patterns.astype(float)
    weighted = patterns / (patterns.sum(axis=1, keepdims=True) - 1)
    rng = np.random.default_rng(seed)
    samples = np.empty(n_boot)
    block = max(1, _BLOCK_CELLS // (k * k))
    draw_block = max(1, _BLOCK_CELLS // len(patterns))
    for start in range(0, n_boot, draw_block):
        size = min(draw_block, n_boot - start)
        draws = np.stack(
            [np.bincount(pattern_of[rng.integers(0, n, n)], minlength=len(patterns)) for _ in range(size)]
        ).astype(float)
        coincidences = np.zeros((size, k * k))
        for p in range(0, len(patterns), block):
            c, w = patterns[p : p + block], weighted[p : p + block]
            shares = w[:, :, None] * c[:, None, :]
            shares[:, np.arange(k), np.arange(k)] -= w
            coincidences += draws[:, p : p + block] @ shares.reshape(len(c), k * k)
        samples[start : start + size] = _alpha_from(coincidences.reshape(size, k, k), domain, level)
    return _interval(estimate, samples, n, confidence)


def bootstrap(
    data: MatrixLike,
    statistic: Callable[[ReliabilityMatrix], float],
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> ConfidenceInterval:
    """Percentile bootstrap of any agreement statistic over the units rated at least twice.

    One call of `statistic` per resample (use `bootstrap_alpha` for alpha, which is vectorised).
    Units with fewer than 2 ratings carry no information about agreement, so they are dropped
    before resampling and `n_units` counts the rest.
    """
    matrix = _matrix(data)
    keep = np.flatnonzero((~np.isnan(matrix.values)).sum(axis=0) >= 2)
    if len(keep) == 0:
        _require_pairable(np.zeros((0, 1)), "the bootstrap")

    def on(columns: np.ndarray) -> ReliabilityMatrix:
        units = tuple(matrix.units[c] for c in columns)
        return ReliabilityMatrix(matrix.values[:, columns], matrix.coders, units, matrix.labels)

    estimate = statistic(on(keep))
    rng = np.random.default_rng(seed)
    samples = np.empty(n_boot)
    for b in range(n_boot):
        try:
            samples[b] = statistic(on(keep[rng.integers(0, len(keep), len(keep))]))
        except AgreementError:  # e.g. two coders who share no unit in this resample
            samples[b] = np.nan
    return _interval(float(estimate), samples, len(keep), confidence)
