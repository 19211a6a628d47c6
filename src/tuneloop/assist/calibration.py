"""Calibrated confidence: temperature scaling fitted on held-out probabilities, and the expected
calibration error (ECE) that says how far a stated confidence is from the accuracy it claims.

Why: a suggestion shown as "90% confident" should be right about 9 times in 10, or people learn to
over-trust it. A fine-tuned model's label probabilities are usually over-confident, and a TF-IDF
regression's under- or over-confident depending on its regularisation; one temperature T, fitted
by minimising the negative log-likelihood on rows the model never trained on (Guo et al. 2017),
rescales the logits without changing any ranking: `softmax(log p / T)` for one label,
`sigmoid(logit(p) / T)` per label for label sets.

ECE (15 equal-width bins, Guo et al.): bin the rows by confidence, and sum each bin's share of the
rows times |accuracy - mean confidence| in it. For one label the confidence is the top label's
probability and "right" is the top label being the true one; for label sets each (row, label)
decision counts once, its confidence max(p, 1 - p) and "right" the decision (p >= 0.5) being true.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from tuneloop.errors import TuneloopError

BINS = 15
EPS = 1e-12
LOG_T_BOUNDS = (-4.0, 4.0)  # T within e^-4..e^4 (about 0.02..55)


def expected_calibration_error(confidence: Any, correct: Any, bins: int = BINS) -> float:
    """ECE over `bins` equal-width bins of [0, 1]; bin k holds confidences in (k/B, (k+1)/B]
    (the first bin also 0), so a confidence of exactly 1 falls in the last bin."""
    conf = np.asarray(confidence, dtype=float).ravel()
    hit = np.asarray(correct, dtype=float).ravel()
    if conf.size == 0 or conf.shape != hit.shape:
        raise TuneloopError(
            f"calibration error: {conf.size} confidences and {hit.size} outcomes; need as many, at least one"
        )
    # rounded first: 0.2 * 15 is 3.0000000000000004 in floating point, which is bin 3, not 2
    index = np.clip(np.ceil(np.round(conf * bins, 9)).astype(int) - 1, 0, bins - 1)
    error = 0.0
    for k in range(bins):
        members = index == k
        if members.any():
            error += members.mean() * abs(hit[members].mean() - conf[members].mean())
    return float(error)


def outcomes(probs: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, correct) per decision: per row for one label (targets: class indices), per
    (row, label) for label sets (targets: a 0/1 matrix the shape of `probs`)."""
    if targets.ndim == 2:
        return np.maximum(probs, 1 - probs).ravel(), ((probs >= 0.5) == (targets > 0)).ravel()
    return probs.max(axis=1), probs.argmax(axis=1) == targets


def scaled(probs: np.ndarray, temperature: float, multilabel: bool) -> np.ndarray:
    """The probabilities with their logits divided by `temperature`."""
    p = np.clip(np.asarray(probs, dtype=float), EPS, 1 - EPS)
    if multilabel:
        return 1.0 / (1.0 + np.exp(-np.log(p / (1 - p)) / temperature))
    logits = np.log(p) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def _nll(probs: np.ndarray, targets: np.ndarray, multilabel: bool) -> float:
    p = np.clip(probs, EPS, 1 - EPS)
    if multilabel:
        return float(-np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p)))
    return float(-np.mean(np.log(p[np.arange(len(targets)), targets])))


def fit_temperature(probs: np.ndarray, targets: np.ndarray) -> float:
    """The temperature that minimises the held-out negative log-likelihood (bounded search over
    log T); targets are class indices, or a 0/1 matrix for label sets."""
    multilabel = targets.ndim == 2
    if len(probs) == 0:
        raise TuneloopError("calibration: no held-out rows to fit a temperature on")
    fitted = minimize_scalar(
        lambda log_t: _nll(scaled(probs, float(np.exp(log_t)), multilabel), targets, multilabel),
        bounds=LOG_T_BOUNDS,
        method="bounded",
    )
    return float(np.exp(fitted.x))


@dataclass(frozen=True)
class Calibration:
    """The fitted temperature and what it did on the held-out rows it was fitted on."""

    temperature: float
    held_out: int  # rows
    ece_before: float
    ece_after: float
    source: str  # where the held-out probabilities came from

    def apply(self, probs: np.ndarray, multilabel: bool) -> np.ndarray:
        return scaled(probs, self.temperature, multilabel)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def calibrate(probs: np.ndarray, targets: np.ndarray, source: str) -> Calibration:
    """Fit temperature scaling on held-out `probs` and report ECE before and after."""
    multilabel = targets.ndim == 2
    if probs.ndim != 2 or len(probs) != len(targets) or (multilabel and probs.shape != targets.shape):
        raise TuneloopError(
            f"calibration: held-out probabilities of shape {probs.shape} do not fit targets {targets.shape}"
        )
    temperature = fit_temperature(probs, targets)
    before = expected_calibration_error(*outcomes(probs, targets))
    after = expected_calibration_error(*outcomes(scaled(probs, temperature, multilabel), targets))
    return Calibration(temperature, len(probs), before, after, source)
