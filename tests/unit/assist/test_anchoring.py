"""The anchoring delta and its gate on answers made up to show each case: a pull detected with
its interval, none without one, per label for label sets, and gold accuracy that saves a label."""

from __future__ import annotations

import numpy as np
import pytest

from tuneloop.annotate.bootstrap import bootstrap_difference
from tuneloop.assist.anchoring import Answered, anchoring_report
from tuneloop.spec.assist import AnchoringSpec

SETTINGS = AnchoringSpec(max_delta=0.15, min_answers=20)


def _answers(label: str, shown: int, blind: int, agree_shown: float, agree_blind: float) -> list[Answered]:
    rows = []
    for n, rate, on_screen in ((shown, agree_shown, True), (blind, agree_blind, False)):
        agreeing = round(n * rate)
        rows += [Answered(label, label if i < agreeing else "other", on_screen) for i in range(n)]
    return rows


def test_bootstrap_difference_brackets_the_difference() -> None:
    ci = bootstrap_difference(np.array([1] * 80 + [0] * 20), np.array([1] * 50 + [0] * 50), seed=0)
    assert ci.estimate == pytest.approx(0.3) and 0.15 < ci.low < 0.3 < ci.high < 0.45
    assert np.isnan(bootstrap_difference(np.array([1.0]), np.array([])).estimate)


def test_a_strong_pull_switches_the_label_off_and_a_weak_one_does_not() -> None:
    answers = _answers("card_lost", 200, 200, 0.95, 0.6) + _answers("card_arrival", 200, 200, 0.72, 0.7)
    report = anchoring_report(answers, ["card_lost", "card_arrival", "exchange_rate"], False, SETTINGS)
    by = {row["label"]: row for row in report["labels"]}
    assert set(by) == {"card_lost", "card_arrival"}  # no answer for exchange_rate
    lost, arrival = by["card_lost"], by["card_arrival"]
    assert lost["delta"] == pytest.approx(0.35) and lost["low"] > 0.15 and lost["off"]
    assert (
        arrival["delta"] == pytest.approx(0.02)
        and arrival["low"] < 0 < arrival["high"]
        and not arrival["off"]
    )
    assert report["switched_off"] == ["card_lost"] and report["shown"] == report["blind"] == 400


def test_too_few_answers_are_not_judged() -> None:
    report = anchoring_report(_answers("card_lost", 19, 40, 1.0, 0.2), ["card_lost"], False, SETTINGS)
    (row,) = report["labels"]
    assert row["delta"] == pytest.approx(0.8) and not row["judged"] and not row["off"]


def test_higher_gold_accuracy_keeps_the_suggestions_on() -> None:
    shown = [Answered("card_lost", "card_lost", True, "card_lost") for _ in range(60)]
    blind = [
        Answered("card_lost", "card_lost" if i < 30 else "card_arrival", False, "card_lost")
        for i in range(60)
    ]
    (row,) = anchoring_report(shown + blind, ["card_lost"], False, SETTINGS)["labels"]
    assert row["low"] > 0.15 and row["gold_accuracy_gain"] == pytest.approx(0.5) and not row["off"]


def test_label_sets_are_measured_per_label() -> None:
    suggested = ("card", "fees")
    shown = [Answered(suggested, suggested, True) for _ in range(50)]
    blind = [Answered(suggested, ("card",), False) for _ in range(50)]  # blind people drop "fees"
    report = anchoring_report(shown + blind, ["card", "fees", "limits"], True, SETTINGS)
    by = {row["label"]: row for row in report["labels"]}
    assert by["card"]["delta"] == 0 and by["limits"]["delta"] == 0
    assert by["fees"]["delta"] == pytest.approx(1.0) and by["fees"]["off"]
    assert report["overall"]["delta"] == pytest.approx(1.0)
