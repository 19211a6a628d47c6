from __future__ import annotations

import pytest

from tuneloop.evaluate.set_parsing import LabelSetParser

LABELS = ["why", "change", "booking", "not_working"]


@pytest.fixture
def parser() -> LabelSetParser:
    return LabelSetParser(LABELS, (0, 3))


def test_the_canonical_answer_parses_under_both_rules(parser: LabelSetParser) -> None:
    for rule in ("strict", "lenient"):
        assert parser.parse("why, booking", rule).labels == ("why", "booking")
        assert parser.parse(" none ", rule).labels == ()


def test_lenient_takes_any_order_case_and_spacing_strict_does_not(parser: LabelSetParser) -> None:
    assert parser.parse("Booking ,WHY", "lenient").labels == ("why", "booking")
    assert parser.parse("not working", "lenient").labels == ("not_working",)
    assert parser.parse("None.", "lenient").labels == ()
    strict = parser.parse("booking, why", "strict")
    assert strict.labels is None and "canonical form" in (strict.problem or "")
    assert parser.parse("Why", "strict").problem == "unknown label 'Why'"


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ("", "empty output"),
        ("why, refund", "unknown label 'refund'"),
        ("why, why", "label 'why' twice"),
        ("why,, booking", "bad format: an empty item between ',' separators"),
        ("why, booking,", "bad format: an empty item between ',' separators"),
        ("why, change, booking, not_working", "4 labels; the spec allows 0 to 3"),
    ],
)
def test_invalid_outputs_say_why(parser: LabelSetParser, output: str, problem: str) -> None:
    for rule in ("strict", "lenient"):
        parsed = parser.parse(output, rule)
        assert parsed.labels is None
        assert parsed.problem == problem


def test_an_empty_set_is_invalid_when_the_spec_wants_a_label() -> None:
    parsed = LabelSetParser(LABELS, (1, 4)).parse("none", "lenient")
    assert parsed.labels is None and parsed.problem == "0 labels; the spec allows 1 to 4"
