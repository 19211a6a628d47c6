"""From a field schema to the JSON Schema, canonical values and the canonical answer.

The model is trained on one spelling of each answer, so that nothing it learns is spent on
formats: keys in schema order, absent optional fields left out, numbers as JSON numbers (integral
ones without a fraction), dates as YYYY-MM-DD, times as HH:MM (24-hour), strings cleaned
(`normalise.clean_text`), list items without repeats in the order given. `canonical_value` reads
the spellings data brings (a number written "1,250.00", NLU++'s `{"day": 21, "month": 3, "year":
2022}`, "9:05") and raises `ValueError` with the reason for one it cannot read.

`comparison_key` is what evaluation compares: exact for enums, the value for numbers, dates and
times, and for strings the text with case, spacing and punctuation set aside (`dedup_text`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import orjson

from tuneloop.data.normalise import clean_text, dedup_text
from tuneloop.spec.fields import FieldSpec, ValueType

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(:\d{2})?$")
_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string", "minLength": 1},
    "number": {"type": "number"},
    "date": {"type": "string", "format": "date", "pattern": r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"},
    "time": {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$"},
}


def json_schema(fields: list[FieldSpec]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every canonical answer validates against: an object of the
    schema's fields and no others, the required ones present."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {f.name: _property(f) for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }


def _property(field: FieldSpec) -> dict[str, Any]:
    value = _value_schema(field.value_type, field.values)
    listed = {"type": "array", "items": value, "minItems": 1}  # a repeated item is read once
    schema = listed if field.type == "list" else value
    return {**schema, "description": field.description} if field.description else schema


def _value_schema(value_type: ValueType, values: list[str] | None) -> dict[str, Any]:
    return (
        {"type": "string", "enum": list(values or ())}
        if value_type == "enum"
        else dict(_JSON_TYPES[value_type])
    )


def canonical_value(field: FieldSpec, value: Any) -> Any:
    """The field's value in its canonical spelling, or ValueError saying why it is not one."""
    if field.type != "list":
        return _canonical(field.value_type, field.values, value)
    if not isinstance(value, list) or not value:
        raise ValueError(f"a list of {field.value_type} values expected, got {_shown(value)}")
    items: list[Any] = []
    for item in value:
        canonical = _canonical(field.value_type, field.values, item)
        if canonical not in items:
            items.append(canonical)
    return items


def _canonical(value_type: ValueType, values: list[str] | None, value: Any) -> Any:
    readers = {"string": _string, "number": _number, "date": _date, "time": _time}
    if value_type == "enum":
        if value not in (values or ()):
            raise ValueError(f"{_shown(value)} is not one of {', '.join(values or ())}")
        return value
    return readers[value_type](value)


def _string(value: Any) -> str:
    text = clean_text(value) if isinstance(value, str) else ""
    if not text:
        raise ValueError(f"a non-empty string expected, got {_shown(value)}")
    return text


def _number(value: Any) -> int | float:
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        value = float(value.strip().replace(",", ""))
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ValueError(f"a number expected, got {_shown(value)}")
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def _date(value: Any) -> str:
    try:
        if isinstance(value, dict) and set(value) == {"day", "month", "year"}:
            return dt.date(int(value["year"]), int(value["month"]), int(value["day"])).isoformat()
        if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value.strip()):
            return dt.date.fromisoformat(value.strip()).isoformat()
    except (TypeError, ValueError):
        pass
    raise ValueError(f"a date (YYYY-MM-DD) expected, got {_shown(value)}")


def _time(value: Any) -> str:
    hour: Any = None
    minute: Any = None
    if isinstance(value, dict) and set(value) <= {"hour", "minute"} and "hour" in value:
        hour, minute = value["hour"], value.get("minute", 0)
    elif isinstance(value, str) and (match := _TIME.match(value.strip())):
        hour, minute = int(match[1]), int(match[2])
    if isinstance(hour, int) and isinstance(minute, int) and 0 <= hour < 24 and 0 <= minute < 60:
        return f"{hour:02d}:{minute:02d}"
    raise ValueError(f"a time (HH:MM, 24-hour) expected, got {_shown(value)}")


def canonical_answer(record: dict[str, Any], fields: list[FieldSpec]) -> str:
    """The answer the model is trained on: the record's values canonical, keys in schema order,
    compact JSON. The record must be valid (`answer_check.check_record` says where it is not)."""
    ordered = {f.name: canonical_value(f, record[f.name]) for f in fields if record.get(f.name) is not None}
    return orjson.dumps(ordered).decode()


def comparison_key(field: FieldSpec, value: Any) -> Any:
    """What two values of the field must share to be the same answer (one canonical value; a
    list's items are compared one by one)."""
    return dedup_text(value) if field.value_type == "string" else value


def _shown(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= 60 else text[:57] + "..."
