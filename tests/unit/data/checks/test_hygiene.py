"""Hygiene checks: markup, control characters and mojibake, each on its row."""

from __future__ import annotations

from tuneloop.data.checks import hygiene
from tuneloop.data.checks.settings import CheckSettings

from .helpers import rows


def test_markup_control_characters_and_mojibake_are_flagged_each_on_its_row() -> None:
    result = hygiene.scan(
        rows(
            "plain text & fine",
            "I&#39;m <b>angry</b>",
            "a bell \x07 here",
            "donâ€™t work",
            "Ångström and café are fine",
            "a\ufffdb",
        ),
        CheckSettings(),
    )
    assert result.flagged == {"markup": [1], "control_chars": [2], "mojibake": [3, 5]}


def test_mojibake_needs_a_valid_utf8_reading() -> None:
    assert hygiene.mojibake("cafÃ©") == "Ã©"
    assert hygiene.mojibake("Âge and Ça va") is None
