"""The field schema's JSON Schema is a real one (checked by `jsonschema`), and canonical answers
spell every value one way."""

from __future__ import annotations

import jsonschema
import orjson
import pytest
from pydantic import ValidationError

from tuneloop.extract.schema import canonical_answer, canonical_value, json_schema
from tuneloop.spec.fields import FieldSpec

FIELDS = [
    FieldSpec(name="party", description="who signs", required=True, span=True),
    FieldSpec(name="amount", type="number"),
    FieldSpec(name="signed", type="date"),
    FieldSpec(name="at", type="time"),
    FieldSpec(name="kind", type="enum", values=["lease", "loan"]),
    FieldSpec(name="tags", type="list", items="enum", values=["urgent", "legal"]),
]


def test_canonical_answers_validate_against_the_derived_json_schema() -> None:
    schema = json_schema(FIELDS)
    jsonschema.Draft202012Validator.check_schema(schema)
    answer = canonical_answer(
        {"tags": ["legal", "legal"], "kind": "loan", "at": "9.05",
         "signed": {"day": 21, "month": 3, "year": 2022}, "amount": "1,250.00", "party": "  Acme   Ltd "},
        FIELDS,
    )  # fmt: skip
    assert answer == (
        '{"party":"Acme Ltd","amount":1250,"signed":"2022-03-21","at":"09:05","kind":"loan","tags":["legal"]}'
    )
    jsonschema.validate(orjson.loads(answer), schema)
    assert canonical_answer({"party": "Acme", "kind": None}, FIELDS) == '{"party":"Acme"}'


@pytest.mark.parametrize(
    "record",
    [{}, {"party": "Acme", "other": 1}, {"party": "Acme", "kind": "gift"}, {"party": "Acme", "at": "25:00"},
     {"party": "Acme", "tags": []}, {"party": ""}],
)  # fmt: skip
def test_the_json_schema_refuses_what_breaks_the_field_schema(record: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, json_schema(FIELDS))


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [(FIELDS[1], True, "a number expected"), (FIELDS[1], "12 pounds", "a number expected"),
     (FIELDS[2], "21/03/2022", "YYYY-MM-DD"),
     (FIELDS[2], {"day": 31, "month": 2, "year": 2022}, "YYYY-MM-DD"),
     (FIELDS[3], {"hour": 24}, "HH:MM"), (FIELDS[4], "Lease", "not one of lease, loan"),
     (FIELDS[5], "urgent", "a list of enum values"), (FIELDS[0], 7, "non-empty string")],
)  # fmt: skip
def test_a_value_its_field_cannot_take_says_why(field: FieldSpec, value: object, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        canonical_value(field, value)


def test_numbers_keep_their_fraction_only_when_they_have_one() -> None:
    assert canonical_value(FIELDS[1], 3.0) == 3 and isinstance(canonical_value(FIELDS[1], 3.0), int)
    assert canonical_value(FIELDS[1], "-0.5") == -0.5


@pytest.mark.parametrize(
    ("spec", "why"),
    [({"name": "x", "type": "list"}, "needs it"), ({"name": "x", "type": "enum"}, "needs values"),
     ({"name": "x", "values": ["a"]}, "applies to an enum"),
     ({"name": "x", "type": "date", "span": True}, "span"),
     ({"name": "x", "type": "enum", "values": ["a", "a"]}, "twice"),
     ({"name": "two words"}, "pattern")],
)  # fmt: skip
def test_an_inconsistent_field_is_refused_with_its_name(spec: dict, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        FieldSpec(**spec)
