from __future__ import annotations

import pytest

from tuneloop.errors import TuneloopError
from tuneloop.evaluate.fairness.group_metrics import group_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.spec import SliceSpec

CHANNEL = SliceSpec(name="channel", field="channel")


def _predictions() -> list[Prediction]:
    """app: 4 rows, 3 right (recall a: 2/2, b: 1/2); web: 4 rows, 1 right and one invalid output."""
    rows = [
        ("app", "a", "a"), ("app", "a", "a"), ("app", "b", "b"), ("app", "b", "a"),
        ("web", "a", "a"), ("web", "a", "b"), ("web", "b", None), ("web", "b", "a"),
        ("", "a", "a"),  # no channel: left out
    ]  # fmt: skip
    return [
        Prediction(str(i), "t", gold, predicted or "??", predicted, {"channel": ch} if ch else {})
        for i, (ch, gold, predicted) in enumerate(rows)
    ]


def test_accuracy_and_recall_per_group_difference_and_ratio() -> None:
    result = group_metrics(_predictions(), [CHANNEL], ["channel"], resamples=200)["channel"]
    app, web = result["groups"]["app"], result["groups"]["web"]
    assert (app["n"], web["n"]) == (4, 4)
    assert app["accuracy"]["value"] == 0.75 and web["accuracy"]["value"] == 0.25
    assert app["macro_recall"]["value"] == 0.75 and web["macro_recall"]["value"] == 0.25
    assert result["difference"]["accuracy"]["value"] == pytest.approx(0.5)
    assert result["ratio"]["accuracy"]["value"] == pytest.approx(0.25 / 0.75)
    low, high = result["difference"]["accuracy"]["ci"]
    assert 0 <= low <= high <= 1
    for group in (app, web):
        low, high = group["accuracy"]["ci"]
        assert 0 <= low <= group["accuracy"]["value"] <= high <= 1


def test_one_group_is_nothing_to_compare() -> None:
    only_app = [p for p in _predictions() if p.slices.get("channel") == "app"]
    result = group_metrics(only_app, [CHANNEL], ["channel"], resamples=200)["channel"]
    assert result["groups"] == {} and "nothing to compare" in result["note"]


def test_a_sensitive_name_must_be_a_slice() -> None:
    with pytest.raises(TuneloopError, match="'segment' is not a slice"):
        group_metrics(_predictions(), [CHANNEL], ["segment"], resamples=200)
