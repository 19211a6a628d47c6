"""How a model's answer is compared with a label name, and how a label set is written as one answer,
in one place.

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


# A multilabel answer: the labels of the set in schema order, joined by one separator (the spec
# refuses a label name that holds it), or NO_LABELS for the empty set; the model learns this one form.
SEPARATOR = ", "
NO_LABELS = "none"


def canonical_answer(labels: tuple[str, ...]) -> str:
    """The answer text of a label set already in schema order."""
    return SEPARATOR.join(labels) if labels else NO_LABELS
