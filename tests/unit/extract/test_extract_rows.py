"""An extract task's rows become canonical JSON answers; a row whose answer breaks the schema or
names a value its text lacks is quarantined with its line, and the spec says what it needs."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tuneloop.data.ingest import ingest_source
from tuneloop.errors import SpecError
from tuneloop.spec import FieldMap, Source
from tuneloop.spec.fields import FieldSpec
from tuneloop.spec.loading import load_spec
from tuneloop.task_card import TaskCard

FIELDS = [
    FieldSpec(name="company", span=True, description="the shop"),
    FieldSpec(name="amount", type="number"),
    FieldSpec(name="when", type="date", required=True),
]
CARD = TaskCard(task="extract", labels=[], system="Extract.", field_schema=[f.model_dump() for f in FIELDS])
ROWS = [
    {
        "text": "Tesco took 12.50 on 3 May",
        "answer": {"when": "2026-05-03", "amount": "12.50", "company": "Tesco"},
    },
    {"text": "paid aldi", "answer": '{"company": "Aldi", "when": "2026-01-02"}'},
    {"text": "paid Lidl", "answer": {"company": "Sainsbury", "when": "2026-01-02"}},
    {"text": "paid Lidl", "answer": {"company": "Lidl"}},
    {"text": "paid Lidl", "answer": '{"company": "Lidl", '},
    {"text": "paid Lidl", "answer": {"shop": "Lidl", "when": "2026-01-02"}},
]


def _ingest(tmp_path: Path, rows: list[dict]) -> object:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    return ingest_source(Source(path=path, fields=FieldMap(text="text", label="answer")), CARD, tmp_path)


def test_answers_become_canonical_and_bad_ones_are_quarantined_with_their_line(tmp_path: Path) -> None:
    result = _ingest(tmp_path, ROWS)
    answers = [e.label for e in result.examples]  # type: ignore[attr-defined]
    assert answers == [
        '{"company":"Tesco","amount":12.5,"when":"2026-05-03"}',
        '{"company":"Aldi","when":"2026-01-02"}',
    ]
    assert all(e.answer == e.label for e in result.examples)  # type: ignore[attr-defined]
    quarantined = [(q.finding.line, q.finding.code) for q in result.quarantined]  # type: ignore[attr-defined]
    assert quarantined == [(3, "not_in_text"), (4, "missing_required"), (5, "not_json"), (6, "unknown_field")]
    assert "'Sainsbury' does not occur in the text" in result.quarantined[0].finding.message  # type: ignore[attr-defined]


def test_nlupp_slots_and_rows_without_an_answer_read_as_records(tmp_path: Path) -> None:
    optional = [FieldSpec(name="date", span=True), FieldSpec(name="amount_of_money", span=True)]
    card = TaskCard(task="extract", labels=[], system=None, field_schema=[f.model_dump() for f in optional])
    rows = [
        {"text": "send 20 quid tomorrow", "slots": {"date": {"text": "tomorrow", "span": [13, 21]},
                                                   "amount_of_money": {"text": "20 quid", "span": [5, 12]}}},
        {"text": "hello"},
        {"text": "send 20 quid tomorrow", "slots": {"date": {"text": "tomorrow", "span": [0, 8]}}},
    ]  # fmt: skip
    path = tmp_path / "rows.json"
    path.write_bytes(orjson.dumps(rows))
    result = ingest_source(
        Source(path=path, format="json", fields=FieldMap(text="text", label="slots")), card, tmp_path
    )
    assert [e.label for e in result.examples] == ['{"date":"tomorrow","amount_of_money":"20 quid"}', "{}"]
    assert [q.finding.code for q in result.quarantined] == ["span_mismatch"]
    assert "covers 'send 20 ', the slot says 'tomorrow'" in result.quarantined[0].finding.message


def test_the_card_puts_the_schema_in_the_system_prompt(tmp_path: Path) -> None:
    spec = _spec(tmp_path, FIELD_SCHEMA)
    card = TaskCard.from_spec(spec)
    assert card.system is not None and card.system.startswith(
        "Copy the details.\nAnswer with one JSON object"
    )
    assert "- amount (number, required): the sum paid" in card.system
    assert "- company (string, from the text)" in card.system
    card.save(tmp_path)
    assert TaskCard.load(tmp_path).fields == spec.field_schema


FIELD_SCHEMA = """field_schema:
  - {name: company, span: true}
  - {name: amount, type: number, required: true, description: the sum paid}
"""


def _spec(tmp_path: Path, schema: str, task: str = "extract") -> object:
    (tmp_path / "rows.jsonl").write_text('{"text": "a", "answer": "{}"}\n')
    (tmp_path / "tuneloop.yaml").write_text(
        f"version: 1\nobjective: {{name: x, task: {task}}}\nprompt: {{system: Copy the details.}}\n{schema}"
        "data: {sources: [{path: rows.jsonl, fields: {text: text, label: answer}}]}\n"
        "model: {build: tiny}\nphases: [{name: task, kind: sft}]\n"
    )
    return load_spec(tmp_path / "tuneloop.yaml")


@pytest.mark.parametrize(
    ("schema", "task", "why"),
    [("", "extract", "needs its field schema"), (FIELD_SCHEMA, "generate", "not a generate task's"),
     ("field_schema: [{name: a}, {name: a}]\n", "extract", "listed twice")],
)  # fmt: skip
def test_the_spec_refuses_a_schema_that_does_not_fit_the_task(
    tmp_path: Path, schema: str, task: str, why: str
) -> None:
    with pytest.raises(SpecError, match=why):
        _spec(tmp_path, schema, task)
