"""Expected calibration error against a hand-computed value, and temperature scaling that fixes
an over-confident model without changing its answers."""

from __future__ import annotations

import numpy as np
import pytest

from tuneloop.assist.calibration import calibrate, expected_calibration_error, fit_temperature, scaled
from tuneloop.errors import TuneloopError


def test_ece_matches_the_hand_computed_value() -> None:
    # 15 bins of width 1/15: 0.1 -> bin 1, 0.25 -> bin 3, 0.3 -> bin 4, 0.9 -> bin 13, and
    # 0.95 and 1.0 -> bin 14 (accuracy 0.5, mean confidence 0.975). ECE = (0.1 + 0.75 + 0.3 + 0.1
    # + 2 * 0.475) / 6 = 2.2 / 6.
    confidence = [0.1, 0.25, 0.3, 0.9, 0.95, 1.0]
    correct = [0, 1, 0, 1, 1, 0]
    assert expected_calibration_error(confidence, correct) == pytest.approx(2.2 / 6)
    # 0.2 stays in its bin (0.2 * 15 is 3.0000000000000004); in one bin with 0.21 it would be 0.295
    assert expected_calibration_error([0.2, 0.21], [1, 0], bins=15) == pytest.approx(0.4 + 0.105)
    assert expected_calibration_error([0.8] * 10, [1] * 8 + [0] * 2) == pytest.approx(0.0)


def test_ece_refuses_mismatched_inputs() -> None:
    with pytest.raises(TuneloopError, match="as many"):
        expected_calibration_error([0.5, 0.6], [1])


def _overconfident(rows: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose true label is drawn from calibrated probabilities, reported sharpened (T = 1/3)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(rows, classes)) * 1.5
    true = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    targets = np.array([rng.choice(classes, p=p) for p in true])
    return scaled(true, 1 / 3, multilabel=False), targets


def test_temperature_scaling_undoes_sharpening_and_keeps_the_ranking() -> None:
    probs, targets = _overconfident(3000, 5, seed=0)
    assert fit_temperature(probs, targets) == pytest.approx(3.0, rel=0.15)
    fitted = calibrate(probs, targets, "synthetic")
    assert fitted.ece_after < 0.04 < 0.15 < fitted.ece_before
    assert (fitted.apply(probs, False).argmax(axis=1) == probs.argmax(axis=1)).all()


def test_label_sets_are_calibrated_per_label() -> None:
    rng = np.random.default_rng(1)
    true = rng.uniform(0.02, 0.98, size=(2000, 4))
    targets = (rng.uniform(size=true.shape) < true).astype(int)
    sharp = scaled(true, 0.4, multilabel=True)
    fitted = calibrate(sharp, targets, "synthetic")
    assert fitted.temperature == pytest.approx(2.5, rel=0.15)
    assert fitted.ece_after < fitted.ece_before / 3
    with pytest.raises(TuneloopError, match="do not fit"):
        calibrate(sharp, targets[:, :3], "synthetic")
