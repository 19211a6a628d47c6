"""NLU++ slot records become extraction records of their spans' text; bad spans are named."""

from __future__ import annotations

import re

import pytest

from tuneloop.extract.answer_check import check_answer
from tuneloop.extract.nlupp import nlupp_record
from tuneloop.extract.schema import canonical_answer
from tuneloop.spec.fields import FieldSpec

FIELDS = [FieldSpec(name=name, span=True) for name in ("date_period", "time_from", "number")]
ROW = {
    "text": "ok, I can make it between 9 05 in the morning and 25 to 7 p.m. any day next week",
    "intents": ["acknowledge"],
    "slots": {
        "date_period": {"text": "next week", "span": [71, 80], "values": {"type": "absolute"}},
        "time_from": {"text": "9 05 in the morning", "span": [26, 45], "value": {"hour": 9, "minute": 5}},
    },
}


def test_slots_become_a_record_of_span_texts_that_the_check_accepts() -> None:
    fields = FIELDS
    record, problems = nlupp_record(ROW["text"], ROW["slots"], fields)
    assert problems == []
    answer = canonical_answer(record, fields)
    assert answer == '{"date_period":"next week","time_from":"9 05 in the morning"}'
    checked = check_answer(answer, fields, ROW["text"])
    assert checked.valid and checked.problems == ()


@pytest.mark.parametrize(
    ("slot", "why"),
    [({"text": "next week", "span": [70, 79]}, "covers ' next wee'"),
     ({"text": "next week", "span": [71, 900]}, "outside the text"),
     ({"text": "next week", "span": "71-80"}, "not \\[start, end\\]")],
)  # fmt: skip
def test_a_span_that_does_not_match_its_text_is_named_and_the_other_slots_kept(slot: dict, why: str) -> None:
    row = {**ROW, "slots": {**ROW["slots"], "date_period": slot}}
    record, problems = nlupp_record(row["text"], row["slots"], FIELDS)
    assert [(p.kind, p.field) for p in problems] == [("span_mismatch", "date_period")]
    assert problems[0].detail.startswith("slot date_period")
    assert re.search(why, problems[0].detail)
    assert list(record) == ["time_from"]


def test_a_slot_outside_the_schema_is_reported() -> None:
    row = {**ROW, "slots": {"shop": {"text": "ok", "span": [0, 2]}}}
    record, problems = nlupp_record(row["text"], row["slots"], FIELDS)
    assert record == {} and [p.kind for p in problems] == ["unknown_field"]
