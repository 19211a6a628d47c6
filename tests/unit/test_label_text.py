from __future__ import annotations

import pytest

from tuneloop.label_text import label_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card_arrival", "card arrival"),
        ("  Card   Arrival.\n", "card arrival"),
        ('"reverted_card_payment?"', "reverted card payment"),
        ("?!", ""),
        ("top-up", "top-up"),  # inner punctuation is part of the label
    ],
)
def test_label_key(text: str, expected: str) -> None:
    assert label_key(text) == expected
