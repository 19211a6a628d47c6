"""A fields record as the tools hold one: spans of the text for extractive fields, one value per
question for the others; and back.

Label Studio (`<Labels>` regions) and Argilla (`SpanQuestion` responses) mark an extractive field
(`span: true`) as a span of the text, character offsets `start` to `end`, labelled with the field's
name; a list field is several spans with one label. Fields that are not spans of the text (a date
written as YYYY-MM-DD, an enum chosen from its values) are each their own question, named after the
field, whose answer is the value as text.

Offsets are counted as both tools count them, in UTF-16 code units (the browser's string indices):
a character outside the Basic Multilingual Plane (an emoji) counts twice, so every offset after one
is converted both ways (`to_utf16`, `from_utf16`), and an offset inside such a character is refused.

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

from tuneloop.annotate.interop.common import BadRecord, InteropError
from tuneloop.annotate.store.field_answers import field_key
from tuneloop.extract.answer_check import locate
from tuneloop.spec.fields import FieldSpec


@dataclass(frozen=True)
class Span:
    """A labelled span of the text: the field it fills, its offsets in UTF-16 code units as the
    tools count them, and the text it covers."""

    field: str
    start: int
    end: int
    text: str


def to_utf16(text: str, index: int) -> int:
    """The UTF-16 offset of the code point at `index` of `text`."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


def from_utf16(text: str, offset: Any) -> int | None:
    """The code point index a UTF-16 `offset` of `text` falls on; None for an offset that is not an
    integer, lies past the text or inside a character that takes two code units."""
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        return None
    units = 0
    for index, ch in enumerate(text):
        if units >= offset:
            return index if units == offset else None
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text) if units == offset else None


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
                raise InteropError(
                    f"{where}: {f.name} {value!r} cannot be placed in the item's text as a span; "
                    "correct the value in the store (tuneloop annotate adjudicate) and export again"
                )
            start, end = found
            spans.append(Span(f.name, to_utf16(text, start), to_utf16(text, end), text[start:end]))
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
        first, last = from_utf16(text, start), from_utf16(text, end)
        if first is None or last is None or first >= last:
            units = to_utf16(text, len(text))
            raise BadRecord(where, f"{name}: span {start!r}..{end!r} is not within the text's {units} units")
        value = text[first:last]
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
