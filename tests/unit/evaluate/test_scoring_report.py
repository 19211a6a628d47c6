from __future__ import annotations

import pytest

from tuneloop.errors import TuneloopError
from tuneloop.evaluate import scoring
from tuneloop.evaluate.parsing import DESCRIPTIONS, LabelParser
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.scoring_report import scoring_of, scoring_report
from tuneloop.task_card import TaskCard


def _generated(outputs: list[str], gold: list[str]) -> list[Prediction]:
    parser = LabelParser(["card_arrival", "refund"])
    return [
        Prediction(str(i), "t", g, out, parser.lenient(out), parsed=parser.parse_both(out))
        for i, (out, g) in enumerate(zip(outputs, gold, strict=True))
    ]


def test_generation_reports_both_rules_and_names_the_headline() -> None:
    predictions = _generated(
        ["card_arrival", "Card arrival.", "the refund", "balance"],
        ["card_arrival", "card_arrival", "refund", "refund"],
    )
    report = scoring_report(predictions, "generate", "lenient")
    assert report["mapping_rule"] == DESCRIPTIONS["lenient"]
    assert report["scoring"]["method"] == "generate"
    parsing = report["parsing"]
    assert parsing["headline"] == "lenient"
    assert (parsing["strict"]["accuracy"], parsing["strict"]["invalid_rate"]) == (0.25, 0.75)
    assert (parsing["lenient"]["accuracy"], parsing["lenient"]["invalid_rate"]) == (0.75, 0.25)


def test_loglik_reports_the_rule_and_mean_confidence() -> None:
    predictions = [
        Prediction("1", "t", "a", "a", "a", probabilities={"a": 0.9, "b": 0.1}),
        Prediction("2", "t", "a", "b", "b", probabilities={"a": 0.3, "b": 0.7}),
    ]
    report = scoring_report(predictions, "loglik", "strict")
    assert report["mapping_rule"] == scoring.RULE
    assert report["scoring"]["mean_confidence"] == pytest.approx(0.8)
    assert report["parsing"]["headline"] is None


def test_a_card_with_an_unknown_scoring_is_refused() -> None:
    assert scoring_of(TaskCard("classify", ["a"], None)) == ("loglik", "lenient")
    with pytest.raises(TuneloopError, match="scoring 'beam'"):
        scoring_of(TaskCard("classify", ["a"], None, scoring="beam"))
    with pytest.raises(TuneloopError, match="parsing 'fuzzy'"):
        scoring_of(TaskCard("classify", ["a"], None, parsing="fuzzy"))
