"""Content fidelity: what a description does with each attribute of an E2E meaning representation."""

from __future__ import annotations

import pytest

from tuneloop.evaluate.fidelity import fidelity_of, fidelity_table, parse_attributes, slot_errors
from tuneloop.evaluate.predict import Prediction

MR = (
    "name[The Eagle], eatType[coffee shop], priceRange[cheap], customer rating[5 out of 5], "
    "familyFriendly[no]"
)


def test_a_meaning_representation_parses_and_free_text_does_not() -> None:
    assert parse_attributes(MR) == {
        "name": "The Eagle",
        "eatType": "coffee shop",
        "priceRange": "cheap",
        "customer rating": "5 out of 5",
        "familyFriendly": "no",
    }
    assert parse_attributes("Where is my card?") is None
    assert parse_attributes("name[The Eagle], and more") is None
    assert fidelity_of("Where is my card?", "It is on its way.") is None


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            "The Eagle is an inexpensive coffee shop, rated 5 out of 5, not family-friendly.",
            {"priceRange": "stated", "customer rating": "stated", "familyFriendly": "stated",
             "eatType": "stated"},
        ),
        (  # a high rating is no high price; a family-friendly place contradicts familyFriendly[no]
            "The Eagle is a highly rated, family friendly pub with high prices.",
            {"priceRange": "contradicted", "customer rating": "stated", "familyFriendly": "contradicted",
             "eatType": "contradicted"},
        ),
        (  # "restaurant" is said of any venue; "less than £20" is cheap
            "The Eagle restaurant costs less than £20.",
            {"priceRange": "stated", "customer rating": "omitted", "familyFriendly": "omitted",
             "eatType": "omitted"},
        ),
    ],
)  # fmt: skip
def test_each_attribute_is_stated_omitted_or_contradicted(output: str, expected: dict[str, str]) -> None:
    assert fidelity_of(MR, output) == {"name": "stated", **expected}


def test_a_value_the_input_lacks_is_added_and_names_are_not_venues() -> None:
    fidelity = fidelity_of(
        "name[Alimentum], near[Café Rouge]", "Alimentum, near Café Rouge, serves Italian food."
    )
    assert fidelity == {"name": "stated", "near": "stated", "food": "added"}  # Café Rouge is no coffee shop
    assert slot_errors(fidelity) == (1, 2)


def test_the_table_counts_per_attribute_and_the_slot_error_rate() -> None:
    rows = [
        Prediction("1", MR, None, "The Eagle is a cheap coffee shop.", None, references=("x",),
                   fidelity=fidelity_of(MR, "The Eagle is a cheap coffee shop.")),
        Prediction("2", MR, None, "A pub.", None, references=("x",), fidelity=fidelity_of(MR, "A pub.")),
    ]  # fmt: skip
    table = fidelity_table(rows)
    assert table is not None
    assert table["attributes"]["eatType"] == {
        "stated": 1, "omitted": 0, "contradicted": 1, "added": 0, "error_rate": 0.5,
    }  # fmt: skip
    # row 1: rating and familyFriendly omitted (2 of 5); row 2: all but eatType wrong, eatType contradicted
    assert table["slot_error_rate"] == pytest.approx((2 + 5) / 10)
    assert fidelity_table([Prediction("3", "free text", None, "x", None, references=("x",))]) is None
