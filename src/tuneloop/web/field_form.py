"""The form of a `fields` item (an extract task): one input per field of the schema.

Each field is an input named `field.NAME`: text for a string or number, a date or time picker, a
select for an enum (empty: no value), and for a list a text area with one item per line. On the
annotate page a field is filled from the text too: select a span of the item's text (mouse, or
Shift+arrows after Tab into the text) and press the field's key (`1`-`9`), or its "← selection"
button; a key with nothing selected moves to that field's input. The store checks the record
(types, required fields, extractive values that the text must hold), so the form converts
nothing but empty inputs (left out) and list lines.

Adjudication goes field by field (`adjudication_rows`): each field shows every annotator's
value, is marked disputed where they differ, and starts from the value they agreed on, so the
adjudicator decides the fields in dispute and confirms the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from tuneloop.annotate.store.errors import InvalidLabel
from tuneloop.annotate.store.field_answers import differing_fields, schema_fields
from tuneloop.annotate.store.models import FIELDS, Annotation, LabelSchema
from tuneloop.spec.fields import FieldSpec

PREFIX = "field."
FIELD_KEYS = "123456789"
INPUT_MAX = 5000  # characters of one field's input


@dataclass(frozen=True)
class FieldRow:
    """One field on a page: its spec, key, the value it starts with (as the input writes it),
    what each annotator gave (adjudication), and whether they differ."""

    field: FieldSpec
    key: str
    value: str
    given: tuple[tuple[str, str], ...] = ()
    disputed: bool = False


def form_fields(schema: LabelSchema | None) -> list[FieldSpec]:
    """The schema's fields for a fields item, else none (the page shows labels instead)."""
    return schema_fields(schema.field_schema) if schema is not None and schema.kind == FIELDS else []


def field_rows(fields: list[FieldSpec]) -> list[FieldRow]:
    """The annotate page's rows: every field empty, the first nine with their keys."""
    return [FieldRow(f, _key(i), "") for i, f in enumerate(fields)]


def adjudication_rows(fields: list[FieldSpec], answers: list[Annotation]) -> list[FieldRow]:
    """Each field with every annotator's value; a field they all gave alike starts from it."""
    records = [a.label or {} for a in answers]
    disputed = set(differing_fields(fields, records))
    rows = []
    for i, f in enumerate(fields):
        given = tuple(
            (a.annotator.name, input_value(f, r.get(f.name))) for a, r in zip(answers, records, strict=True)
        )
        start = "" if f.name in disputed or not records else input_value(f, records[0].get(f.name))
        rows.append(FieldRow(f, _key(i), start, given, f.name in disputed))
    return rows


def input_value(field: FieldSpec, value: Any) -> str:
    """A stored value as its input writes it: list items one per line, absent as empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


async def posted_fields(request: Request) -> dict[str, str]:
    """The `field.NAME` inputs of a posted form, by field name (FastAPI reads the form once and
    keeps it, so this costs no second parse)."""
    form = await request.form()
    return {
        name.removeprefix(PREFIX): value
        for name, value in form.multi_items()
        if name.startswith(PREFIX) and isinstance(value, str)
    }


def posted_record(fields: list[FieldSpec], posted: dict[str, str]) -> dict[str, Any]:
    """The record the inputs spell: empty inputs left out, a list's non-empty lines as its
    items, other inputs (names outside the schema too) as written, for the store to check. An
    input longer than INPUT_MAX is refused by name, never cut: a cut span would be a wrong one."""
    record: dict[str, Any] = {}
    lists = {f.name for f in fields if f.type == "list"}
    for name, raw in posted.items():
        if len(raw) > INPUT_MAX:
            raise InvalidLabel(
                f"field {name}: {len(raw):,} characters, more than the {INPUT_MAX:,} a field takes"
            )
        if name in lists:
            items = [line.strip() for line in raw.splitlines() if line.strip()]
            if items:
                record[name] = items
        elif raw.strip():
            record[name] = raw.strip()
    return record


def _key(position: int) -> str:
    return FIELD_KEYS[position] if position < len(FIELD_KEYS) else ""
