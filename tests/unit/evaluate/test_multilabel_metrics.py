from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    hamming_loss,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
)

from tuneloop.evaluate.compare import paired_tests
from tuneloop.evaluate.intervals import with_intervals
from tuneloop.evaluate.multilabel_metrics import SET_METRICS, encode_rows, indicators, label_set_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.runner import read_predictions
from tuneloop.label_text import canonical_answer

LABELS = [f"l{i}" for i in range(7)]


def _sets(matrix: np.ndarray) -> list[tuple[str, ...]]:
    return [tuple(label for label, on in zip(LABELS, row, strict=True) if on) for row in matrix]


def _predictions(
    gold: np.ndarray, predicted: np.ndarray, invalid: np.ndarray | None = None
) -> list[Prediction]:
    out = []
    for i, (g, p) in enumerate(zip(_sets(gold), _sets(predicted), strict=True)):
        chosen = None if invalid is not None and invalid[i] else p
        answer = None if chosen is None else canonical_answer(chosen)
        out.append(
            Prediction(
                f"r{i}",
                f"text {i}",
                canonical_answer(g),
                answer or "???",
                answer,
                gold_labels=g,
                predicted_labels=chosen,
                answer_labels=chosen,
            )
        )
    return out


def _random(seed: int, n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    gold = rng.random((n, len(LABELS))) < 0.3
    predicted = np.where(rng.random(gold.shape) < 0.8, gold, rng.random(gold.shape) < 0.3)
    gold[:, 6] = predicted[:, 6] = False  # a label absent from both: left out of the macro average
    return gold, predicted


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_scikit_learn_on_indicator_matrices(seed: int) -> None:
    gold, predicted = _random(seed)
    got = label_set_metrics(_predictions(gold, predicted), LABELS)
    present = [i for i in range(len(LABELS)) if gold[:, i].any() or predicted[:, i].any()]
    assert got["micro_f1"] == pytest.approx(f1_score(gold, predicted, average="micro"), abs=1e-12)
    assert got["micro_precision"] == pytest.approx(
        precision_score(gold, predicted, average="micro"), abs=1e-12
    )
    assert got["micro_recall"] == pytest.approx(recall_score(gold, predicted, average="micro"), abs=1e-12)
    expected_macro = f1_score(gold, predicted, average="macro", labels=present, zero_division=0)
    assert got["macro_f1"] == pytest.approx(expected_macro, abs=1e-12)
    assert got["hamming_loss"] == pytest.approx(hamming_loss(gold, predicted), abs=1e-12)
    assert got["exact_set"] == pytest.approx(accuracy_score(gold, predicted), abs=1e-12)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=present, zero_division=0
    )
    assert list(got["per_label"]) == [LABELS[i] for i in present]
    for k, i in enumerate(present):
        row = got["per_label"][LABELS[i]]
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx(
            (precision[k], recall[k], f1[k]), abs=1e-12
        )
        assert row["support"] == support[k]
        assert row["missed"] == int((gold[:, i] & ~predicted[:, i]).sum())
        assert row["extra"] == int((~gold[:, i] & predicted[:, i]).sum())


def test_an_invalid_output_misses_its_gold_labels_and_is_never_an_exact_match() -> None:
    gold = np.array([[0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0]], dtype=bool)
    invalid = np.array([True, True, False])
    got = label_set_metrics(_predictions(gold, gold.copy(), invalid), LABELS)
    assert got["invalid_rate"] == pytest.approx(2 / 3)
    assert got["exact_set"] == pytest.approx(1 / 3)  # the empty gold set is not matched by no answer
    assert got["micro_recall"] == pytest.approx(1 / 3)  # l0 and l1 of row 1 missed, l0 of row 2 found
    assert got["micro_precision"] == 1.0  # an invalid output adds no extra label
    assert got["per_label"]["l1"]["missed_examples"] == ["text 1"]


def test_bootstrap_intervals_hold_the_point_estimate_and_paired_tests_see_a_better_model() -> None:
    gold, predicted = _random(5, n=200)
    worse = predicted.copy()
    worse[:100] = False
    mine = indicators(_predictions(gold, predicted), LABELS)
    theirs = encode_rows(_predictions(gold, worse), LABELS)
    result = with_intervals(mine, SET_METRICS, 300, seed=0)
    for metric in SET_METRICS:
        low, high = result["ci"][metric]
        assert low <= result[metric] <= high, metric
    tests = {t["metric"]: t for t in paired_tests(mine, theirs, ["micro_f1", "exact_set"], 300, seed=0)}
    assert tests["micro_f1"]["difference"] > 0 and tests["micro_f1"]["p"] < 0.001
    assert tests["micro_f1"]["test"] == "paired bootstrap"
    assert tests["exact_set"]["test"] == "McNemar exact"


def test_predictions_written_and_read_back_keep_their_sets(tmp_path: Path) -> None:
    gold, predicted = _random(3, n=4)
    written = _predictions(gold, predicted, np.array([False, True, False, False]))
    path = tmp_path / "predictions.jsonl"
    path.write_bytes(b"".join(orjson.dumps(p.to_dict()) + b"\n" for p in written))
    assert read_predictions(path) == written
