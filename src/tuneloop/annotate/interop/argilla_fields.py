"""A fields record (an extract task) in Argilla's terms: a `SpanQuestion` and one question per
other field.

The question named `question` (default `label`) is a `SpanQuestion` over the text field whose
labels are the extractive fields; a response's value is the list of its spans,
`[{"label": "company_name", "start": 7, "end": 15}]`. Every other field is a question named after
it (`LabelQuestion` for an enum, `TextQuestion` for the rest), whose value is the answer as text.
One person's record is their span response and their responses to those questions together,
matched by user id: a person who submitted any of them answered the record (a question left
unanswered is a field left empty), and one whose responses are not all submitted (a draft, a
discard) did not, which is skipped and listed as any draft is.
"""

from __future__ import annotations

from typing import Any

from tuneloop.annotate.interop.common import BadRecord, ExportedItem, InteropError
from tuneloop.annotate.interop.field_spans import (
    record_spans,
    spans_record,
    text_value,
    value_fields,
    value_text,
)
from tuneloop.annotate.store.field_answers import schema_fields
from tuneloop.annotate.store.models import LabelSchema

Response = tuple[Any, Any, Any]  # (value, user id, status)


def value_questions(schema: LabelSchema, question: str) -> list[str]:
    """The questions besides the span question `question` that a fields schema's records answer;
    `InteropError` when a field would be a second question of that name."""
    names = [f.name for f in value_fields(schema_fields(schema.field_schema))]
    if question in names:
        raise InteropError(f"field {question} has the span question's name; pass another --question")
    return names


def responses_by_user(
    where: str, spans: list[Response], values: dict[str, list[Response]]
) -> dict[Any, tuple[Any, dict[str, Any], set[Any]]]:
    """Each responding user's span value, values per question and the statuses they came with."""
    out: dict[Any, tuple[Any, dict[str, Any], set[Any]]] = {}
    for value, user, status in spans:
        if user in out:
            raise BadRecord(where, f"{user} responded twice to the span question")
        out[user] = (value, {}, {status})
    for question, given in values.items():
        for value, user, status in given:
            _, answers, statuses = out.setdefault(user, (None, {}, set()))
            if question in answers:
                raise BadRecord(where, f"{user} responded twice to {question!r}")
            answers[question] = value
            statuses.add(status)
    return out


def response_record(
    where: str, schema: LabelSchema, spans: Any, values: dict[str, Any], text: str
) -> dict[str, Any]:
    """One person's record from their span response and their other responses."""
    fields = schema_fields(schema.field_schema)
    if spans is None:
        spans = []
    if not isinstance(spans, list) or not all(isinstance(s, dict) for s in spans):
        raise BadRecord(where, f"a span response is a list of {{label, start, end}}, not {spans!r}")
    record = spans_record(
        where, [(s.get("label"), s.get("start"), s.get("end"), None) for s in spans], fields, text
    )
    by_name = {f.name: f for f in value_fields(fields)}
    for name, answer in values.items():
        if answer is None or answer == "":
            continue
        if not isinstance(answer, str):
            raise BadRecord(where, f"{name}: a text answer expected, not {answer!r}")
        if (value := text_value(by_name[name], answer)) not in ("", []):
            record[name] = value
    return record


def fields_row(
    exported: ExportedItem, users: list[str], text_field: str, question: str, gold_agent: str
) -> dict[str, Any]:
    """One item's flat row (as `to_hub` writes one): the span question's responses and suggestion
    (the gold record), and each other field's as its own question's columns."""
    item = exported.item
    schema = item.label_schema
    answers = [_responses(a.label, schema, item.text, f"item {item.id}") for a in exported.answers]
    gold = (
        _responses(exported.gold, schema, item.text, f"item {item.id}") if exported.gold is not None else None
    )
    row: dict[str, Any] = {
        "id": item.source_key.removeprefix("argilla:"),
        "_server_id": None,
        "status": "completed" if item.closed_at is not None else "pending",
        text_field: item.text,
    }
    for name in (question, *value_questions(schema, question)):
        given = [spans if name == question else values[name] for spans, values in answers]
        kept = [(value, user) for value, user in zip(given, users, strict=True) if value is not None]
        suggested = None if gold is None else gold[0] if name == question else gold[1][name]
        row |= {
            f"{name}.responses": [v for v, _ in kept] or None,
            f"{name}.responses.users": [u for _, u in kept] or None,
            f"{name}.responses.status": ["submitted"] * len(kept) or None,
            f"{name}.suggestion": suggested,
            f"{name}.suggestion.score": None,
            f"{name}.suggestion.agent": gold_agent if suggested is not None else None,
        }
    return row


def _responses(
    record: dict[str, Any], schema: LabelSchema, text: str, where: str
) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
    """A stored record as Argilla responses: its spans, and each other field's answer (None: empty)."""
    fields = schema_fields(schema.field_schema)
    spans = [
        {"label": s.field, "start": s.start, "end": s.end} for s in record_spans(fields, record, text, where)
    ]
    values = {f.name: value_text(record[f.name]) if f.name in record else None for f in value_fields(fields)}
    return spans, values
