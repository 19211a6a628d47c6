"""How a model's answer is compared with a label name, in one place.

The spec refuses two labels that compare equal, and evaluation maps outputs with the same rule,
so a label can never be shadowed by another.
"""

from __future__ import annotations

import re

RULE = "case-, whitespace-, punctuation- and underscore-insensitive exact match"


def label_key(text: str) -> str:
    """The key a label name (or a model's answer) is compared by: equal keys mean the same label."""
    text = re.sub(r"[\s_]+", " ", text.strip().lower())
    return text.strip(" .,;:!?\"'`()[]{}")
