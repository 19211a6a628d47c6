"""Every way an extraction answer can break is named with its field; a value the text lacks is
reported but keeps the answer valid."""

from __future__ import annotations

import jsonschema
import orjson
import pytest

from tuneloop.extract.answer_check import check_answer, occurs_in
from tuneloop.extract.schema import json_schema
from tuneloop.spec.fields import FieldSpec

FIELDS = [
    FieldSpec(name="company", required=True, span=True),
    FieldSpec(name="amount", type="number", span=True),
    FieldSpec(name="when", type="date"),
]
TEXT = "I paid Tesco 1,250.50 pounds yesterday"


@pytest.mark.parametrize(
    ("answer", "kinds"),
    [('{"company": "Tesco"', ["not_json"]), ('["Tesco"]', ["not_object"]),
     ('{"company": "Tesco", "shop": "x"}', ["unknown_field"]),
     ('{"amount": 3}', ["missing_required", "not_in_text"]),
     ('{"company": "Tesco", "when": "yesterday"}', ["wrong_type"])],
)  # fmt: skip
def test_invalid_answers_name_their_problem_and_break_the_json_schema(answer: str, kinds: list[str]) -> None:
    checked = check_answer(answer, FIELDS, TEXT)
    assert sorted(p.kind for p in checked.problems) == sorted(kinds)
    assert not checked.valid
    if kinds[0] not in ("not_json",):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(orjson.loads(answer), json_schema(FIELDS))


def test_a_value_the_text_lacks_is_reported_and_the_rest_is_kept() -> None:
    checked = check_answer('{"company": "Sainsbury", "amount": 1250.5}', FIELDS, TEXT)
    assert checked.valid
    assert [(p.kind, p.field) for p in checked.problems] == [("not_in_text", "company")]
    assert checked.record == {"company": "Sainsbury", "amount": 1250.5}


def test_partly_wrong_answers_keep_the_fields_that_were_read() -> None:
    checked = check_answer('{"company": "tesco", "when": "soon"}', FIELDS, TEXT)
    assert checked.record == {"company": "tesco"} and not checked.valid


@pytest.mark.parametrize(
    ("value", "text", "found"),
    [("TESCO,", "paid tesco", True), (1250.5, TEXT, True), (1250, TEXT, False), (50, TEXT, False),
     ("5", "free at 5ish?", True), ("Aldi", TEXT, False), (12, "on 12.5", False)],
)  # fmt: skip
def test_occurs_in_matches_text_loosely_and_numbers_by_value(value: object, text: str, found: bool) -> None:
    assert occurs_in(value, text) is found
