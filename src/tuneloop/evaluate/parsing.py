"""Map a generated answer to a label, by two stated rules, and report both.

Answer extraction alone can swing a score from 0.20 to 0.78 (lm-evaluation-harness #2034), so
the rule is never hidden: every generation is parsed both ways, the metrics carry the accuracy
and invalid rate under each, and `evaluation.parsing` only picks which one is the headline.

- strict: the output, trimmed of surrounding whitespace, is exactly a label.
- lenient: after normalising case, whitespace, underscores and surrounding punctuation, the
  output equals a label; else it contains exactly one label as whole words (the longest when one
  contains another, so "card arrival" wins over "card"); else the closest label by difflib's
  similarity ratio, when that ratio is at least `CLOSE_CUTOFF` and no other label ties it.
An output that maps to no label is invalid: wrong, and counted in the invalid rate.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

from tuneloop.label_text import label_key

Rule = Literal["strict", "lenient"]
RULES: tuple[Rule, ...] = ("strict", "lenient")
CLOSE_CUTOFF = 0.8
DESCRIPTIONS: dict[Rule, str] = {
    "strict": "strict: the trimmed output is exactly a label",
    "lenient": (
        "lenient: case-, whitespace-, underscore- and punctuation-insensitive match; else the one label "
        "contained as whole words (longest first); else the closest label by difflib ratio "
        f">= {CLOSE_CUTOFF}"
    ),
}


class LabelParser:
    """Both rules over one label set, prepared once for many outputs."""

    def __init__(self, labels: list[str]) -> None:
        self.labels = list(labels)
        self._normalised = {label_key(label): label for label in labels}

    def parse(self, output: str, rule: Rule) -> str | None:
        return self.strict(output) if rule == "strict" else self.lenient(output)

    def parse_both(self, output: str) -> dict[str, str | None]:
        return {rule: self.parse(output, rule) for rule in RULES}

    def strict(self, output: str) -> str | None:
        text = output.strip()
        return text if text in self._normalised.values() else None

    def lenient(self, output: str) -> str | None:
        text = label_key(output)
        if not text:
            return None
        if text in self._normalised:
            return self._normalised[text]
        contained = [
            key for key in self._normalised if key and re.search(rf"(?<!\w){re.escape(key)}(?!\w)", text)
        ]
        # Drop labels that are only part of a longer contained one ("card" inside "card arrival").
        outer = [key for key in contained if not any(key != other and key in other for other in contained)]
        if len(outer) == 1:
            return self._normalised[outer[0]]
        if outer:
            return None  # two different labels named: ambiguous
        ratios = sorted(
            ((difflib.SequenceMatcher(None, text, key).ratio(), key) for key in self._normalised),
            reverse=True,
        )
        if not ratios or ratios[0][0] < CLOSE_CUTOFF or (len(ratios) > 1 and ratios[1][0] == ratios[0][0]):
            return None
        return self._normalised[ratios[0][1]]
