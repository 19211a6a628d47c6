from __future__ import annotations

import pytest

from tuneloop.evaluate.parsing import LabelParser

LABELS = ["card_arrival", "card", "reverted_card_payment?", "Refund_not_showing_up", "top_up_failed"]


@pytest.mark.parametrize(
    ("output", "strict", "lenient"),
    [
        ("card_arrival", "card_arrival", "card_arrival"),
        ("  card_arrival\n", "card_arrival", "card_arrival"),
        ("Card Arrival.", None, "card_arrival"),
        ("reverted card payment", None, "reverted_card_payment?"),
        ("Refund_not_showing_up", "Refund_not_showing_up", "Refund_not_showing_up"),
        ("The answer is card_arrival", None, "card_arrival"),  # contained as whole words
        ("card arrival card arrival", None, "card_arrival"),  # one label, twice
        ("card", "card", "card"),
        ("my card", None, "card"),
        ("card_arrival or top_up_failed", None, None),  # two labels named: ambiguous
        ("cardarrival", None, "card_arrival"),  # difflib ratio 0.96
        ("top up faild", None, "top_up_failed"),  # a typo, ratio 0.96
        ("balance", None, None),  # close to nothing
        ("", None, None),
        ("?!", None, None),
    ],
)
def test_both_rules(output: str, strict: str | None, lenient: str | None) -> None:
    parser = LabelParser(LABELS)
    assert parser.strict(output) == strict
    assert parser.lenient(output) == lenient
    assert parser.parse_both(output) == {"strict": strict, "lenient": lenient}


def test_a_tie_in_closeness_is_invalid() -> None:
    parser = LabelParser(["abcd", "abce"])
    assert parser.lenient("abcx") is None  # 0.75 to both, below the cutoff anyway
    assert LabelParser(["abcdefghij", "abcdefghik"]).lenient("abcdefghix") is None  # 0.9 to both
