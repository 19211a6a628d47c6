"""A fields record as the tools hold one: spans of the text for extractive fields, one value per
question for the others; and back.

Label Studio (`<Labels>` regions) and Argilla (`SpanQuestion` responses) mark an extractive field
(`span: true`) as a span of the text, character offsets `start` to `end`, labelled with the field's
name; a list field is several spans with one label. Fields that are not spans of the text (a date
written as YYYY-MM-DD, an enum chosen from its values) are each their own question, named after the
field, whose answer is the value as text.

The store keeps values, not offsets (`store/field_answers.py`), spelled as the text spells them:
`extract.answer_check.locate` finds where a value occurs in the text for the export, the first
occurrence with case and punctuation aside, and a number by its value ("1250" at "1,250"). On import
a span is read from the text at its offsets; a span whose quoted text is not what the text holds
there, or one past the text's end, is refused by name, and so is a field that is not a list given
two different spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuneloop.annotate.interop.common import BadRecord
from tuneloop.annotate.store.field_answers import field_key
from tuneloop.extract.answer_check import locate
from tuneloop.spec.fields import FieldSpec


@dataclass(frozen=True)
class Span:
    """A labelled span of the text: the field it fills and its character offsets."""

    field: str
    start: int
    end: int


def span_fields(fields: list[FieldSpec]) -> list[FieldSpec]:
    """The fields marked as spans of the text."""
    return [f for f in fields if f.span]


def value_fields(fields: list[FieldSpec]) -> list[FieldSpec]:
    """The fields answered as values, each its own question."""
    return [f for f in fields if not f.span]


def record_spans(fields: list[FieldSpec], record: dict[str, Any], text: str, where: str) -> list[Span]:
    """The spans of a stored record's extractive values; `ValueError` naming a value the text
    no longer holds (a store row written by hand)."""
    spans = []
    for f in span_fields(fields):
        values = record.get(f.name)
        for value in values if isinstance(values, list) else [] if values is None else [values]:
            found = locate(value, text)
            if found is None:
                raise ValueError(f"{where}: {f.name} {value!r} does not occur in the item's text")
            spans.append(Span(f.name, *found))
    return spans


def spans_record(
    where: str, spans: list[tuple[Any, Any, Any, Any]], fields: list[FieldSpec], text: str
) -> dict[str, Any]:
    """The record the spans `(field, start, end, quoted text or None)` mark in `text`; a
    `BadRecord` for a span that is not one of the text's or not of an extractive field."""
    by_name = {f.name: f for f in span_fields(fields)}
    record: dict[str, Any] = {}
    for name, start, end, quoted in spans:
        f = by_name.get(name)
        if f is None:
            known = ", ".join(by_name) or "none"
            raise BadRecord(where, f"a span labelled {name!r}, not an extractive field ({known})")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise BadRecord(
                where, f"{name}: span {start!r}..{end!r} is not within the text's {len(text)} characters"
            )
        value = text[start:end]
        if quoted is not None and quoted != value:
            raise BadRecord(
                where, f"{name}: span {start}..{end} says {quoted!r}, the text has {value!r} there"
            )
        _add(where, f, record, value.strip())
    return record


def _add(where: str, f: FieldSpec, record: dict[str, Any], value: str) -> None:
    if f.type == "list":
        record.setdefault(f.name, []).append(value)
    elif f.name in record and field_key(f, {f.name: record[f.name]}) != field_key(f, {f.name: value}):
        raise BadRecord(where, f"{f.name} takes one value; two spans give {record[f.name]!r} and {value!r}")
    else:
        record[f.name] = value


def value_text(value: Any) -> str:
    """A non-span value as its question's answer (a list: one item per line)."""
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def text_value(f: FieldSpec, answer: str) -> Any:
    """A question's answer as the field's value (the store checks it): a list from its lines."""
    if f.type == "list":
        return [line.strip() for line in answer.splitlines() if line.strip()]
    return answer.strip()
