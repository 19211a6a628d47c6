"""From label probabilities to suggestions: calibrate on held-out rows, then pick each item's label.

A `ProbabilitySource` is anything that gives label probabilities for texts and has held-out rows to
calibrate on: the TF-IDF regression fitted on the gold labels (`suggest_baseline.py`, its held-out
rows out-of-fold), or a trained model scored by log-likelihood (handed down from the evaluate
stage, its held-out rows the run's validation predictions). This layer never loads a model.

One label: the suggestion is the top label, its calibrated probability the confidence. Label sets:
every label whose calibrated probability is at least 0.5 (topped up to `min_labels` and cut to
`max_labels` by probability), and the confidence is the probability of exactly that set when the
labels are taken as independent: the product of p for labels in it and 1 - p for the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tuneloop.assist.calibration import Calibration, calibrate
from tuneloop.errors import TuneloopError


@dataclass(frozen=True)
class ProbabilitySource:
    """Label probabilities for texts, with the held-out rows that calibrate them.

    `classes` are the columns of every probability matrix; `held_out_targets` are class indices
    (one label) or a 0/1 matrix (label sets, `multilabel`). `agent` names the kind of suggester
    and `model_version` the exact model; `trained_on` says what it learned from."""

    agent: str
    model_version: str
    classes: list[str]
    multilabel: bool
    held_out: np.ndarray
    held_out_targets: np.ndarray
    held_out_source: str
    score: Callable[[list[str]], np.ndarray]
    trained_on: str


@dataclass(frozen=True)
class Suggested:
    """One text's suggestion: a label, or a label set in class order; its calibrated probability;
    every class's calibrated probability."""

    label: str | tuple[str, ...]
    probability: float
    probabilities: dict[str, float]


def suggest(
    source: ProbabilitySource, texts: Sequence[str], bounds: tuple[int, int | None] = (0, None)
) -> tuple[list[Suggested], Calibration]:
    """Calibrate the source on its held-out rows and suggest a label for each text."""
    calibration = calibrate(source.held_out, source.held_out_targets, source.held_out_source)
    if not texts:
        return [], calibration
    raw = source.score(list(texts))
    if raw.shape != (len(texts), len(source.classes)):
        raise TuneloopError(
            f"suggestions: {source.agent} gave probabilities of shape {raw.shape} for {len(texts)} texts "
            f"and {len(source.classes)} labels"
        )
    probs = calibration.apply(raw, source.multilabel)
    pick = _label_set if source.multilabel else _top_label
    return [pick(row, source.classes, bounds) for row in probs], calibration


def _top_label(row: np.ndarray, classes: list[str], bounds: tuple[int, int | None]) -> Suggested:
    top = int(row.argmax())
    return Suggested(classes[top], float(row[top]), _rounded(row, classes))


def _label_set(row: np.ndarray, classes: list[str], bounds: tuple[int, int | None]) -> Suggested:
    low, high = bounds
    order = np.argsort(-row, kind="stable")
    chosen = {int(i) for i in order if row[i] >= 0.5}
    chosen |= {int(i) for i in order[:low]}
    if high is not None:
        chosen = set([int(i) for i in order if int(i) in chosen][:high])
    inside = np.isin(np.arange(len(row)), sorted(chosen))
    probability = float(np.prod(np.where(inside, row, 1 - row)))
    return Suggested(tuple(classes[i] for i in sorted(chosen)), probability, _rounded(row, classes))


def _rounded(row: np.ndarray, classes: list[str]) -> dict[str, float]:
    return {label: round(float(p), 6) for label, p in zip(classes, row, strict=True)}


def margin(probabilities: dict[str, float], multilabel: bool) -> float:
    """How undecided a suggestion is (smaller: less sure): the gap between the top two labels'
    probabilities; for label sets the smallest distance of any label from the 0.5 threshold, times
    two (so both read 0..1)."""
    values = sorted(probabilities.values(), reverse=True)
    if multilabel:
        return min((abs(2 * p - 1) for p in values), default=1.0)
    if len(values) < 2:
        return 1.0
    return values[0] - values[1]
