from __future__ import annotations

import pytest
from pydantic import ValidationError

from tuneloop.errors import TuneloopError
from tuneloop.lexicons import BUILT_IN, Swapper, swappers
from tuneloop.spec import FairnessSpec


@pytest.mark.parametrize(
    ("family", "text", "swapped"),
    [
        ("gender", "He lost his card", "She lost her card"),
        ("gender", "She gave her card to him", "He gave his card to her"),  # "her" -> "his": first pair wins
        ("gender", "MY HUSBAND's card", "MY WIFE's card"),
        ("gender", "the shell of the theme", "the shell of the theme"),  # whole words only
        ("names", "Transfer to Mohammed and Mary", "Transfer to William and James"),
        ("location", "I moved from New York to London", "I moved from Mumbai to Lagos"),
        ("location", "moved from new  york", "moved from mumbai"),
        ("nationality", "my British account", "my Nigerian account"),
        ("age", "a student card for a 20-year-old", "a retiree card for a 70-year-old"),
        ("age", "my old card is older", "my old card is older"),  # "old" is no age term here
    ],
)
def test_swaps_both_ways_keeping_case(family: str, text: str, swapped: str) -> None:
    swapper = Swapper.of(family, BUILT_IN[family])
    assert swapper.swap(text) == swapped


def test_terms_in_finds_whole_words_in_order() -> None:
    swapper = Swapper.of("gender", BUILT_IN["gender"])
    assert swapper.terms_in("His son and HER daughter") == ["his", "son", "her", "daughter"]
    assert swapper.terms_in("Hello theme") == []


def test_every_built_in_pair_swaps_back() -> None:
    for family, pairs in BUILT_IN.items():
        swapper = Swapper.of(family, pairs)
        for a, b in pairs:
            assert swapper.swap(a).lower() == b.lower()


def test_custom_families_are_added_and_unknown_ones_refused() -> None:
    made = swappers(["gender"], {"pets": [("cat", "dog")]})
    assert [s.family for s in made] == ["gender", "pets"]
    assert made[1].swap("My Cat's card") == "My Dog's card"
    with pytest.raises(TuneloopError, match="unknown 'religion'"):
        swappers(["religion"], {})
    with pytest.raises(TuneloopError, match="two different terms"):
        swappers([], {"bad": [("cat", "Cat")]})


def test_the_spec_refuses_an_unknown_family() -> None:
    with pytest.raises(ValidationError, match="unknown families 'religion'"):
        FairnessSpec(families=["gender", "religion"])
    assert FairnessSpec(families=["pets"], custom={"pets": [("cat", "dog")]}).families == ["pets"]
