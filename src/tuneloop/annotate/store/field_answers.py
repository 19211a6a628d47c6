"""The answer of a `fields` item (an extract task): a record of the schema's fields.

An annotator's record is checked as a data row's answer is (`extract.answer_check.check_record`):
only the schema's fields, the required ones present, each value of its type. The store is stricter
than ingest on one point: a value of an extractive field (`span: true`) must occur in the item's
text, because the form fills it from a selection of that text; a row of data with such a value is a
finding for a person to look at, an annotator's answer is simply refused.

A record is stored canonical (`extract.schema.canonical_value`, keys in schema order, absent fields
left out), an extractive string as the text writes it, so one answer has one stored form. Two
records are the same answer field by field on `comparison_key` (case and spacing of strings aside, a
list as a set), which is what disputes, consensus and agreement compare: `field_key` is that key as
one hashable value, with `ABSENT` for a field the annotator left empty (a decision like any other:
"the text gives none").
"""

from __future__ import annotations

from typing import Any

import orjson

from tuneloop.annotate.store.errors import InvalidLabel, StoreError
from tuneloop.data.normalise import dedup_text
from tuneloop.extract.answer_check import check_record, locate
from tuneloop.extract.schema import comparison_key
from tuneloop.spec.fields import FieldSpec, check_field_names

ABSENT = "(none)"  # the key of a field left empty


def schema_fields(field_schema: list[dict[str, Any]] | None) -> list[FieldSpec]:
    """The field schema a `fields` schema row keeps, as FieldSpecs; `StoreError` when it holds
    none or one that no longer reads (a row written by hand)."""
    if not field_schema:
        raise StoreError("a fields schema needs its field schema (at least one field)")
    try:
        return check_field_names([FieldSpec.model_validate(f) for f in field_schema])
    except ValueError as exc:
        raise StoreError(f"the stored field schema does not read: {exc}") from None


def check_field_answer(fields: list[FieldSpec], label: Any, text: str | None) -> dict[str, Any]:
    """The record in its stored form, or `InvalidLabel` naming every field that is wrong. `label`
    is a JSON object or its text; `text` (the item's) is what extractive values must occur in."""
    if isinstance(label, str):
        try:
            label = orjson.loads(label)
        except orjson.JSONDecodeError as exc:
            raise InvalidLabel(f"a fields answer is a JSON object; this one does not parse: {exc}") from None
    if not isinstance(label, dict):
        raise InvalidLabel(f"a fields answer is an object of the schema's fields, not {type(label).__name__}")
    checked = check_record(label, fields, text)
    if checked.problems:
        raise InvalidLabel("; ".join(p.detail for p in checked.problems))
    record = checked.record or {}
    return {f.name: _as_written(f, record[f.name], text) for f in fields if f.name in record}


def _as_written(field: FieldSpec, value: Any, text: str | None) -> Any:
    """An extractive string value as the text writes it ("barclays" typed for "Barclays"): what
    was marked is the text, and a span exported to another tool reads back the same."""
    if not field.span or field.value_type != "string" or text is None:
        return value
    if isinstance(value, list):
        return [_as_written_one(v, text) for v in value]
    return _as_written_one(value, text)


def _as_written_one(value: str, text: str) -> str:
    """The text's own spelling of the value, where the located span is the same value (case,
    spacing and punctuation between words aside); the value as given otherwise."""
    found = locate(value, text)
    written = text[found[0] : found[1]] if found else value
    return written if dedup_text(written) == dedup_text(value) else value


def field_key(field: FieldSpec, record: dict[str, Any]) -> str:
    """What the field's value must equal in another record to be the same answer, as one string
    (`ABSENT` when the record has no value for it; a list's items as a sorted set)."""
    value = record.get(field.name)
    if value is None:
        return ABSENT
    if isinstance(value, list):
        return orjson.dumps(sorted({orjson.dumps(comparison_key(field, v)).decode() for v in value})).decode()
    return orjson.dumps(comparison_key(field, value)).decode()


def record_key(fields: list[FieldSpec], record: dict[str, Any] | str) -> tuple[str, ...]:
    """What two records (or their canonical answers) must share to be the same answer: every
    field's key."""
    read = orjson.loads(record) if isinstance(record, str) else record
    return tuple(field_key(f, read) for f in fields)


def differing_fields(fields: list[FieldSpec], records: list[dict[str, Any]]) -> list[str]:
    """The fields on which the records do not all give the same answer, in schema order."""
    return [f.name for f in fields if len({field_key(f, r) for r in records}) > 1]
