"""Read a generated multilabel answer as a label set, or say why it is none.

The model is trained on one canonical form (`label_text.canonical_answer`: the labels in schema
order joined by ", ", or "none"), so an answer in another form is a finding about the model, and
every reason is kept for the report's list of invalid outputs. Two rules, as for classify
(`parsing.py`), both reported, `evaluation.parsing` picking the headline:

- strict: the trimmed output is the canonical answer of a valid set, exactly;
- lenient: the output split at commas, each item compared by `label_text.label_key` (case,
  whitespace, underscores and surrounding punctuation do not matter) and in any order; "none"
  (any case) is the empty set.

Under both rules an output is invalid when it is empty, has an empty item (",," or a trailing
comma), names an unknown label, names a label twice, or holds fewer than `min_labels` or more than
`max_labels` labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuneloop.evaluate.parsing import RULES, Rule
from tuneloop.label_text import NO_LABELS, SEPARATOR, canonical_answer, label_key

DESCRIPTIONS: dict[Rule, str] = {
    "strict": "strict: the trimmed output is exactly the canonical answer (labels in schema order, "
    f"{SEPARATOR!r} between them, {NO_LABELS!r} for none)",
    "lenient": "lenient: comma-separated labels in any order, case-, whitespace-, underscore- and "
    f"punctuation-insensitive; {NO_LABELS!r} for none",
}


@dataclass(frozen=True)
class ParsedSet:
    """The labels of an answer in schema order, or None and the `problem` that makes it invalid."""

    labels: tuple[str, ...] | None
    problem: str | None = None


class LabelSetParser:
    """Both rules over one schema and its bounds, prepared once for many outputs."""

    def __init__(self, labels: list[str], bounds: tuple[int, int]) -> None:
        self.labels = list(labels)
        self.bounds = bounds
        self._order = {label: i for i, label in enumerate(labels)}
        self._by_key = {label_key(label): label for label in labels}

    def parse_both(self, output: str) -> dict[Rule, ParsedSet]:
        return {rule: self.parse(output, rule) for rule in RULES}

    def parse(self, output: str, rule: Rule) -> ParsedSet:
        text = output.strip()
        if not text:
            return ParsedSet(None, "empty output")
        if (text if rule == "strict" else label_key(text)) == NO_LABELS:
            return self._within_bounds(())
        items = [item.strip() for item in text.split(SEPARATOR.strip())]
        if "" in items:
            return ParsedSet(None, f"bad format: an empty item between {SEPARATOR.strip()!r} separators")
        found = []
        for item in items:
            label = item if rule == "strict" and item in self._order else None
            label = label or (self._by_key.get(label_key(item)) if rule == "lenient" else None)
            if label is None:
                return ParsedSet(None, f"unknown label {item!r}")
            if label in found:
                return ParsedSet(None, f"label {label!r} twice")
            found.append(label)
        labels = tuple(sorted(found, key=self._order.__getitem__))
        if rule == "strict" and canonical_answer(labels) != text:
            return ParsedSet(None, f"not the canonical form (schema order, {SEPARATOR!r} between labels)")
        return self._within_bounds(labels)

    def _within_bounds(self, labels: tuple[str, ...]) -> ParsedSet:
        low, high = self.bounds
        if not low <= len(labels) <= high:
            return ParsedSet(None, f"{len(labels)} labels; the spec allows {low} to {high}")
        return ParsedSet(labels)
