"""Label Studio: read a project's JSON export into the store, and write the store back as one.

The format is Label Studio's "JSON" export, a list of tasks
(https://labelstud.io/guide/export#Label-Studio-JSON-format-of-annotated-tasks,
https://labelstud.io/guide/task_format):

    [{"id": 12, "data": {"text": "where is my card?"},
      "annotations": [{"id": 40, "completed_by": 3,              # or {"id": 3, "email": "a@x.org"}
                       "result": [{"from_name": "label", "to_name": "text", "type": "choices",
                                   "value": {"choices": ["card_arrival"]}}],
                       "was_cancelled": false, "created_at": "2024-05-01T10:00:00Z"}],
      "predictions": [{"model_version": "...", "result": [...]}]}]

A result's `type` and `value` follow the schema kind: `choices` (one choice for `single_label`,
any number for `multi_label`), `rating` (`{"rating": 4}`) and `textarea` (`{"text": ["..."]}`)
for `free_text_correction`. Only the results of the control named `from_name` are read (and,
with `to_name`, only those pointing at that object tag).

Import: a task becomes an item keyed `label-studio:ID` (`label-studio:PROJECT:ID` with
`project`, so two projects' task ids never collide); each annotation becomes the answer of a
store user named by `users[completed_by id]`, else the email of an expanded `completed_by`, else
`label-studio-user-ID`. Files written for Label Studio's import are read as Label Studio reads
them, and the report's notes say so: a task without `id` is keyed by its position in the file
(`label-studio:FILE#N`); a task without a `data` object is its own data; an annotation without
`completed_by` (or with null) is the answer of one user, `label-studio-unattributed` (Label Studio
gives it to the person importing). Cancelled (skipped) annotations and annotations without a result
for `from_name` are skipped and listed; predictions (a model's answers, not a person's) are not
imported, and counted by model version in a note. A task or annotation that cannot be read is
skipped with the reason; the file is refused only when nothing in it can be.

Export: every item is a task whose `annotations` are the annotators' own current answers, with
`completed_by` expanded to `{"id", "email"}` holding the store user name (Label Studio matches
annotations to its users by that email when the file is imported). The gold label of an
adjudicated item is written as a prediction with `model_version` `tuneloop-adjudication:NAME`,
not as an annotation: the annotations stay the independent judgements agreement is measured on,
and the adjudicator, who by the store's rules never annotated the item, does not become one of
its annotators when the file comes back.

`label_studio_config` writes the labelling config such a project needs: `<Choices>` with
`choice="single"` for `single_label` and `choice="multiple"` for `multi_label` (Label Studio's
checkboxes, https://labelstud.io/tags/choices), so its answers come back as this module reads them.
A `fields` schema (an extract task) is spans and per-field controls: `label_studio_fields.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from tuneloop.annotate.interop.common import ImportReport, InteropError, items_for_export, load
from tuneloop.annotate.interop.label_studio_fields import fields_config, fields_results, result_object
from tuneloop.annotate.interop.label_studio_tasks import RESULT_TYPE, SOURCE, read_label_studio
from tuneloop.annotate.store.items import DEFAULT_OVERLAP
from tuneloop.annotate.store.models import FIELDS, Item, LabelSchema, User

GOLD_MODEL = "tuneloop-adjudication"
CHOICE = {"single_label": "single", "multi_label": "multiple"}


def label_studio_config(
    schema: LabelSchema, from_name: str = "label", to_name: str = "text", text_field: str = "text"
) -> str:
    """The Label Studio labelling config (XML) of a single_label, multi_label or fields schema."""
    if schema.kind == FIELDS:
        return fields_config(schema, from_name, to_name, text_field)
    if schema.kind not in CHOICE:
        raise InteropError(f"a Label Studio config is written for label choices, not a {schema.kind} schema")
    choices = "\n".join(f'    <Choice value="{escape(label, quote=True)}"/>' for label in schema.labels)
    return (
        f'<View>\n  <Text name="{escape(to_name, quote=True)}" value="${escape(text_field, quote=True)}"/>\n'
        f'  <Choices name="{escape(from_name, quote=True)}" toName="{escape(to_name, quote=True)}" '
        f'choice="{CHOICE[schema.kind]}" showInLine="false">\n{choices}\n  </Choices>\n</View>\n'
    )


def import_label_studio(
    session: Session,
    path: Path | str,
    schema: LabelSchema,
    *,
    from_name: str = "label",
    to_name: str | None = None,
    text_field: str = "text",
    project: str | None = None,
    users: Mapping[int, str] | None = None,
    overlap: int = DEFAULT_OVERLAP,
    by: User | None = None,
) -> ImportReport:
    """Import a Label Studio JSON export: tasks as items, annotations as answers (see module doc).

    `from_name` is the name of the labelling control (`<Choices name="label" ...>`), `to_name`
    the object tag its results point at (`<Text name="text" ...>`; None: any), `text_field` the
    task data key holding the text (`<Text value="$text">`), `users` maps Label Studio user ids
    to store user names. What cannot be read is skipped and listed; nothing is written when the
    store refuses part of the file.
    """
    path = Path(path)
    parsed = read_label_studio(
        path,
        schema,
        from_name=from_name,
        to_name=to_name,
        text_field=text_field,
        project=project,
        users=users,
    )
    return load(session, path, parsed, schema, overlap=overlap, source=SOURCE, by=by)


def _results(label: Any, item: Item, from_name: str, to_name: str, result_id: str) -> list[dict[str, Any]]:
    """One answer's results: one result, or for a fields record its regions and values."""
    if item.label_schema.kind == FIELDS:
        return fields_results(label, item.label_schema, item.text, from_name, to_name, result_id)
    return [_result(label, item.label_schema, from_name, to_name, result_id)]


def _result(label: Any, schema: LabelSchema, from_name: str, to_name: str, result_id: str) -> dict[str, Any]:
    kind = RESULT_TYPE[schema.kind]
    if kind == "choices":
        value: dict[str, Any] = {"choices": label if isinstance(label, list) else [label]}
    elif kind == "rating":
        value = {"rating": int(label)}
    else:
        value = {"text": [label]}
    return result_object(result_id, from_name, to_name, kind, value)


def export_label_studio(
    session: Session,
    path: Path | str,
    *,
    schema: LabelSchema | None = None,
    from_name: str = "label",
    to_name: str = "text",
    text_field: str = "text",
) -> int:
    """Write the store's items (of `schema`, if given) as a Label Studio JSON export; returns the
    number of tasks written. `from_name`/`to_name`/`text_field` must match the project's
    labelling config, e.g. `<Text name="text" value="$text"/><Choices name="label" toName="text">`."""
    path = Path(path)
    tasks = []
    for exported in items_for_export(session, schema):
        item = exported.item
        annotations = [
            {
                "id": answer.annotation_id,
                "completed_by": {"id": answer.user_id, "email": answer.user},
                "result": _results(answer.label, item, from_name, to_name, f"tl-{answer.annotation_id}"),
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": answer.created_at.isoformat(),
            }
            for answer in exported.answers
        ]
        predictions = []
        if exported.gold is not None:
            predictions.append(
                {
                    "model_version": f"{GOLD_MODEL}:{exported.adjudicator}",
                    "result": _results(exported.gold, item, from_name, to_name, f"tl-gold-{item.id}"),
                }
            )
        tasks.append(
            {
                "id": item.id,
                "data": {text_field: item.text},
                "meta": {"tuneloop_source_key": item.source_key, "tuneloop_external_id": item.external_id},
                "annotations": annotations,
                "predictions": predictions,
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(tasks, option=orjson.OPT_INDENT_2))
    return len(tasks)
