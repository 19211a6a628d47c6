from __future__ import annotations

import math

import pytest

from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.fairness.skew import MIN_COUNT, pmi, term_skew
from tuneloop.lexicons import BUILT_IN, Swapper


def test_pmi_by_hand() -> None:
    # 100 rows, 20 with the label; 10 with the term, 8 of those with the label: P(l|t) = 0.8, P(l) = 0.2.
    assert pmi(8, 10, 20, 100) == pytest.approx(math.log2(4))


def test_a_term_that_predicts_a_label_is_flagged() -> None:
    def row(text: str, label: str) -> Example:
        return Example(build_messages(text, label, None), label, "x")

    rows = (
        [row("she wants a refund", "refund")] * 6
        + [row("he wants a refund", "refund")] * 2
        + [row("he lost the card", "lost_card")] * 6
        + [row("card lost", "lost_card")] * 6
    )
    skew = term_skew(rows, [Swapper.of("gender", BUILT_IN["gender"])])
    she = skew["families"]["gender"]["she"]
    assert she["rows"] == 6 and she["labels"]["refund"]["count"] == 6
    assert she["labels"]["refund"]["pmi"] == pytest.approx(math.log2(1 / (8 / 20)))
    flagged = {(f["term"], f["label"]) for f in skew["flags"]}
    assert ("she", "refund") in flagged  # 6 rows, PMI 1.32 bits
    assert ("he", "lost_card") not in flagged  # 6 of 8 "he" rows: PMI log2(0.75 / 0.6) = 0.32 bits
    assert all(f["count"] >= MIN_COUNT for f in skew["flags"])
    assert skew["rows"] == 20
