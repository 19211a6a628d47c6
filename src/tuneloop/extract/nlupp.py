"""NLU++ records as extraction rows: each slot's span of the text becomes the field's value.

NLU++ (Casanueva et al., 2022) marks each slot of a message with the text it covers, its span
(character offsets) and a value normalised against a reference date nobody is told ("next week"
is 21-27 March 2022). A model reading the message cannot know that date, so the extraction answer
is the slot's text as the message writes it, and every field is an extractive string (`span:
true`; `number` too: "nine" and "second" are numbers as NLU++ marks them), as
`examples/nlupp-slots/tuneloop.yaml` declares them with the descriptions of `ontology.json`.

`nlupp_record` checks each slot before it becomes a value: a slot the schema lacks, a span that
is not two offsets inside the text, or a span whose text is not the slot's `text`, is a problem
with the slot's name (the caller gives the file and row); the row's other slots still count.
"""

from __future__ import annotations

from typing import Any

from tuneloop.extract.answer_check import Problem
from tuneloop.extract.schema import canonical_value
from tuneloop.spec.fields import FieldSpec


def nlupp_record(
    text: str, slots: dict[str, Any], fields: list[FieldSpec]
) -> tuple[dict[str, Any], list[Problem]]:
    """A message's slots as a record of `fields` (the spans' text), and the problems of the slots
    that could not be read."""
    kinds = {f.name: f for f in fields}
    record: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, slot in slots.items():
        problem = _slot_problem(name, slot, text, kinds)
        if problem is not None:
            problems.append(problem)
            continue
        try:
            record[name] = canonical_value(kinds[name], slot["text"])
        except ValueError as e:
            problems.append(Problem("wrong_type", name, f"slot {name}: {e}"))
    return record, problems


def _slot_problem(name: str, slot: Any, text: str, kinds: dict[str, FieldSpec]) -> Problem | None:
    if name not in kinds:
        return Problem("unknown_field", name, f"slot {name!r} is not a field of the schema")
    span = slot.get("span") if isinstance(slot, dict) else None
    covered = slot.get("text") if isinstance(slot, dict) else None
    if not (isinstance(span, list) and len(span) == 2 and all(isinstance(i, int) for i in span)):
        return Problem("span_mismatch", name, f"slot {name}: span {span!r} is not [start, end]")
    start, end = span
    if not 0 <= start < end <= len(text):
        return Problem(
            "span_mismatch", name, f"slot {name}: span {span} lies outside the text ({len(text)} chars)"
        )
    if text[start:end] != covered:
        return Problem(
            "span_mismatch",
            name,
            f"slot {name}: span {span} covers {text[start:end]!r}, the slot says {covered!r}",
        )
    return None
