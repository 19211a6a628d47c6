from __future__ import annotations

import pytest

from tuneloop.evaluate.metrics import INVALID, classification_metrics
from tuneloop.evaluate.predict import Prediction


def _p(gold: str, predicted: str | None, text: str = "a b", **slices: str) -> Prediction:
    return Prediction(
        id=gold + str(predicted),
        text=text,
        gold=gold,
        output=predicted or "???",
        predicted=predicted,
        slices=slices,
    )


PREDICTIONS = [_p("a", "a"), _p("a", "b"), _p("a", None), _p("b", "b"), _p("b", "b"), _p("c", "a")]


def test_headline_metrics_by_hand() -> None:
    m = classification_metrics(PREDICTIONS, ["a", "b", "c", "unused"])
    assert m["n"] == 6
    assert m["accuracy"] == pytest.approx(3 / 6)
    assert m["invalid_rate"] == pytest.approx(1 / 6)
    # recall: a 1/3, b 2/2, c 0/1 ; precision: a 1/2, b 2/3, c 0 (never predicted)
    assert m["per_class"]["a"]["recall"] == pytest.approx(1 / 3)
    assert m["per_class"]["b"]["precision"] == pytest.approx(2 / 3)
    assert m["macro_recall"] == pytest.approx((1 / 3 + 1 + 0) / 3)
    assert m["macro_precision"] == pytest.approx((1 / 2 + 2 / 3 + 0) / 3)
    f1_a, f1_b = 2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3), 2 * (2 / 3) / (2 / 3 + 1)
    assert m["macro_f1"] == pytest.approx((f1_a + f1_b) / 3)
    assert "unused" not in m["per_class"]  # absent from the gold data: not averaged in


def test_confusion_has_an_invalid_column() -> None:
    confusion = classification_metrics(PREDICTIONS, ["a", "b", "c"])["confusion"]
    assert confusion["labels"] == ["a", "b", "c"] and confusion["columns"] == ["a", "b", "c", INVALID]
    assert confusion["matrix"] == [[1, 1, 0, 1], [0, 2, 0, 0], [1, 0, 0, 0]]


def test_empty_predictions_give_empty_metrics() -> None:
    assert classification_metrics([], ["a"])["accuracy"] is None


def test_a_prediction_of_a_label_absent_from_gold_keeps_its_column() -> None:
    predictions = [_p("a", "a"), _p("a", "c"), _p("b", None)]
    m = classification_metrics(predictions, ["a", "b", "c"])
    assert m["confusion"]["labels"] == ["a", "b"]
    assert m["confusion"]["columns"] == ["a", "b", "c", INVALID]
    assert m["confusion"]["matrix"] == [[1, 0, 1, 0], [0, 0, 0, 1]]
    supports = [m["per_class"][label]["support"] for label in m["confusion"]["labels"]]
    assert [sum(row) for row in m["confusion"]["matrix"]] == supports
