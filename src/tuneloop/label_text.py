"""How a model's answer is compared with a label name, in one place.

The spec refuses two labels that compare equal, and evaluation maps outputs with the same rule,
so a label can never be shadowed by another.
"""

from __future__ import annotations

import re

RULE = "case-, whitespace-, punctuation- and underscore-insensitive exact match"


def normalise(text: str) -> str:
    text = re.sub(r"[\s_]+", " ", text.strip().lower())
    return text.strip(" .,;:!?\"'`()[]{}")
