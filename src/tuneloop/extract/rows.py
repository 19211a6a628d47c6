"""A data row's extraction answer, read into the one canonical JSON answer the model trains on.

The answer cell of a row may be a JSON string (as a CSV cell or a chat answer holds it), an
object (JSON and JSONL rows), or NLU++ style slots (each slot an object with its `text` and
`span`: `nlupp.py`). A row without an answer cell has nothing to extract: its answer is the empty
record `{}` (NLU++ leaves `slots` out of messages without slots), unless the schema has required
fields, which the check then names.

Anything `answer_check` finds is a `RowProblem` (every problem of the row in one sentence, the
first one's kind as its code), so ingest quarantines the row with its file and line: an answer
that breaks the schema, or a span field whose value the text does not hold, never trains.
"""

from __future__ import annotations

from typing import Any

import orjson

from tuneloop.data.row_problem import RowProblem
from tuneloop.extract.answer_check import Checked, check_answer, check_record
from tuneloop.extract.nlupp import nlupp_record
from tuneloop.extract.schema import canonical_answer
from tuneloop.spec.fields import FieldSpec


def extraction_answer(answer: Any, text: str, fields: list[FieldSpec]) -> str:
    """The row's canonical answer, or RowProblem saying everything wrong with it."""
    if answer is None:
        checked = check_record({}, fields, text)
    elif isinstance(answer, str):
        checked = check_answer(answer, fields, text)
    elif isinstance(answer, dict) and _slot_style(answer):
        record, problems = nlupp_record(text, answer, fields)
        read = check_record(record, fields, text)
        checked = Checked(read.record, (*problems, *read.problems))
    elif isinstance(answer, dict):
        checked = check_record(answer, fields, text)
    else:
        raise RowProblem("wrong_type", f"the answer must be a JSON object, found {type(answer).__name__}")
    if checked.problems or checked.record is None:
        first = checked.problems[0]
        raise RowProblem(
            first.kind,
            "; ".join(p.detail for p in checked.problems),
            "fix the answer to fit field_schema: in tuneloop.yaml (or the schema to fit the data)",
        )
    return canonical_answer(checked.record, fields)


def _slot_style(answer: dict[str, Any]) -> bool:
    """Whether every value is an NLU++ slot: an object with the text it covers and its span."""
    return bool(answer) and all(isinstance(v, dict) and {"text", "span"} <= set(v) for v in answer.values())


def answer_record(answer: str) -> dict[str, Any]:
    """The record of a canonical answer (one `extraction_answer` wrote)."""
    record = orjson.loads(answer)
    assert isinstance(record, dict)
    return record
