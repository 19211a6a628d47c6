"""A fields record (an extract task) in Label Studio's terms.

The labelling config (https://labelstud.io/tags/labels) holds one `<Labels>` control (named
`from_name`, default `label`) whose `<Label>` values are the extractive fields: an annotator marks
a span of the text and labels it with its field, and each region is a result

    {"from_name": "label", "to_name": "text", "type": "labels",
     "value": {"start": 7, "end": 15, "text": "Barclays", "labels": ["company_name"]}}

Every other field is its own control named after the field: `<Choices>` for an enum (a
`choices` result), `<TextArea>` for the rest (a `textarea` result, `{"text": ["2026-12-07"]}`).
An annotation with no result is the empty record: the text gives none of the fields, which is
an answer, not a skipped task.
"""

from __future__ import annotations

from html import escape
from typing import Any

from tuneloop.annotate.interop.common import BadRecord, InteropError
from tuneloop.annotate.interop.field_spans import (
    record_spans,
    span_fields,
    spans_record,
    text_value,
    value_fields,
    value_text,
)
from tuneloop.annotate.store.field_answers import schema_fields
from tuneloop.annotate.store.models import LabelSchema
from tuneloop.spec.fields import FieldSpec


def _q(text: str) -> str:
    return escape(text, quote=True)


def control_names(schema: LabelSchema, from_name: str, to_name: str) -> list[FieldSpec]:
    """The schema's fields, or `InteropError` when a field that is its own control takes the name of
    the regions' control or of the text: Label Studio would see one control twice."""
    fields = schema_fields(schema.field_schema)
    taken = sorted({f.name for f in value_fields(fields)} & {from_name, to_name})
    if taken:
        raise InteropError(
            f"field {', '.join(taken)} has the name of the regions' control or the text object; "
            "pass another --from-name (or --to-name) for Label Studio"
        )
    return fields


def fields_config(schema: LabelSchema, from_name: str, to_name: str, text_field: str) -> str:
    """The labelling config (XML) of a fields schema."""
    fields = control_names(schema, from_name, to_name)
    lines = [f'<View>\n  <Text name="{_q(to_name)}" value="${_q(text_field)}"/>']
    spans = span_fields(fields)
    if spans:
        labels = "\n".join(f'    <Label value="{_q(f.name)}" hint="{_q(f.description)}"/>' for f in spans)
        lines.append(f'  <Labels name="{_q(from_name)}" toName="{_q(to_name)}">\n{labels}\n  </Labels>')
    for f in value_fields(fields):
        lines.append(f'  <Header value="{_q(f.name)}{": " + _q(f.description) if f.description else ""}"/>')
        if f.value_type == "enum":
            choice = "multiple" if f.type == "list" else "single"
            options = "\n".join(f'    <Choice value="{_q(v)}"/>' for v in f.values or ())
            control = f'<Choices name="{_q(f.name)}" toName="{_q(to_name)}" choice="{choice}">'
            lines.append(f"  {control}\n{options}\n  </Choices>")
        else:
            lines.append(f'  <TextArea name="{_q(f.name)}" toName="{_q(to_name)}" maxSubmissions="1"/>')
    return "\n".join(lines) + "\n</View>\n"


def fields_results(
    record: dict[str, Any], schema: LabelSchema, text: str, from_name: str, to_name: str, result_id: str
) -> list[dict[str, Any]]:
    """The results of one record: a `labels` region per span, a result per other field."""
    fields = control_names(schema, from_name, to_name)
    results = [
        result_object(
            f"{result_id}-{n}",
            from_name,
            to_name,
            "labels",
            {"start": s.start, "end": s.end, "text": s.text, "labels": [s.field]},
        )
        for n, s in enumerate(record_spans(fields, record, text, result_id), start=1)
    ]
    for f in value_fields(fields):
        if (value := record.get(f.name)) is None:
            continue
        if f.value_type == "enum":
            value_object: dict[str, Any] = {"choices": value if isinstance(value, list) else [value]}
            results.append(result_object(f"{result_id}-{f.name}", f.name, to_name, "choices", value_object))
        else:
            results.append(
                result_object(
                    f"{result_id}-{f.name}", f.name, to_name, "textarea", {"text": [value_text(value)]}
                )
            )
    return results


def result_object(
    result_id: str, from_name: str, to_name: str, kind: str, value: dict[str, Any]
) -> dict[str, Any]:
    """One result as Label Studio writes it, made by hand (`origin: manual`)."""
    return {
        "id": result_id,
        "from_name": from_name,
        "to_name": to_name,
        "type": kind,
        "origin": "manual",
        "value": value,
    }


def results_record(
    where: str, results: list[dict[str, Any]], schema: LabelSchema, from_name: str, text: str
) -> dict[str, Any]:
    """The record one annotation's results spell, for the store to check. A result of a control
    that is neither the regions' nor a field's, or a region control's result that is not a region,
    is refused by name rather than read as "no value" (a renamed control would otherwise empty
    every record without a word)."""
    fields = schema_fields(schema.field_schema)
    known = {from_name, *(f.name for f in value_fields(fields))}
    strangers = sorted({str(r["from_name"]) for r in results if r["from_name"] not in known})
    if strangers:
        raise BadRecord(
            where,
            f"results from {', '.join(strangers)}, which is neither the regions' control {from_name!r} "
            f"nor a field of the schema (pass --from-name NAME for the <Labels> control)",
        )
    spans = []
    for r in results:
        if r["from_name"] != from_name:
            continue
        if r.get("type") != "labels":
            raise BadRecord(where, f"{from_name!r} gives {r.get('type')!r} results; its regions are 'labels'")
        value = _value_object(r)
        labels = value.get("labels")
        if not isinstance(labels, list) or len(labels) != 1:
            raise BadRecord(where, f"a region is labelled with one field, not {labels!r}")
        spans.append((labels[0], value.get("start"), value.get("end"), value.get("text")))
    record = spans_record(where, spans, fields, text)
    for f in value_fields(fields):
        mine = [r for r in results if r["from_name"] == f.name]
        if len(mine) > 1:
            raise BadRecord(where, f"{f.name}: {len(mine)} results; a field takes one")
        if mine and (value := _value_of(where, f, mine[0])) not in ("", []):
            record[f.name] = value
    return record


def _value_of(where: str, f: FieldSpec, result: dict[str, Any]) -> Any:
    """A field's value from its result: the choice (choices, for a list), or the text."""
    value = _value_object(result)
    if result.get("type") == "choices":
        choices = value.get("choices")
        if not isinstance(choices, list) or not choices:
            raise BadRecord(where, f"{f.name}: the result has no value.choices")
        return choices if f.type == "list" or len(choices) > 1 else choices[0]
    texts = value.get("text")
    if (
        result.get("type") != "textarea"
        or not isinstance(texts, list)
        or not all(isinstance(t, str) for t in texts)
    ):
        raise BadRecord(where, f"{f.name}: a textarea result with a value.text list expected")
    return text_value(f, "\n".join(texts))


def _value_object(result: dict[str, Any]) -> dict[str, Any]:
    value = result.get("value")
    return value if isinstance(value, dict) else {}
