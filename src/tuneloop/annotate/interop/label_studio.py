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
for `free_text_correction`. Only the result of the control named `from_name` is read.

Import: a task becomes an item keyed `label-studio:ID` (`label-studio:PROJECT:ID` with
`project`, so two projects' task ids never collide); each annotation becomes the answer of a
store user named by `users[completed_by id]`, else the email of an expanded `completed_by`, else
`label-studio-user-ID`. Cancelled (skipped) annotations, annotations without a result for
`from_name`, and predictions (a model's answers, not a person's) are reported, not imported.

Export: every item is a task whose `annotations` are the annotators' own current answers, with
`completed_by` expanded to `{"id", "email"}` holding the store user name (Label Studio matches
annotations to its users by that email when the file is imported). The gold label of an
adjudicated item is written as a prediction with `model_version` `tuneloop-adjudication:NAME`,
not as an annotation: the annotations stay the independent judgements agreement is measured on,
and the adjudicator, who by the store's rules never annotated the item, does not become one of
its annotators when the file comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from tuneloop.annotate.interop.common import (
    ExternalAnswer,
    ExternalTask,
    ImportReport,
    Skipped,
    checked_label,
    fail,
    items_for_export,
    keep_latest_per_user,
    load,
)
from tuneloop.annotate.store.items import DEFAULT_OVERLAP
from tuneloop.annotate.store.models import LabelSchema, User

SOURCE = "label-studio"
GOLD_MODEL = "tuneloop-adjudication"
_RESULT_TYPE = {
    "single_label": "choices",
    "multi_label": "choices",
    "rating": "rating",
    "free_text_correction": "textarea",
}


def import_label_studio(
    session: Session,
    path: Path | str,
    schema: LabelSchema,
    *,
    from_name: str = "label",
    text_field: str = "text",
    project: str | None = None,
    users: Mapping[int, str] | None = None,
    overlap: int = DEFAULT_OVERLAP,
    by: User | None = None,
) -> ImportReport:
    """Import a Label Studio JSON export: tasks as items, annotations as answers (see module doc).

    `from_name` is the name of the labelling control (`<Choices name="label" ...>`), `text_field`
    the task data key holding the text (`<Text value="$text">`), `users` maps Label Studio user
    ids to store user names. Nothing is written unless the whole file is valid.
    """
    path = Path(path)
    tasks, skipped = read_label_studio(path, schema, from_name, text_field, project, users or {})
    return load(session, path, tasks, schema, overlap=overlap, source=SOURCE, skipped=skipped, by=by)


def read_label_studio(
    path: Path,
    schema: LabelSchema,
    from_name: str = "label",
    text_field: str = "text",
    project: str | None = None,
    users: Mapping[int, str] | None = None,
) -> tuple[list[ExternalTask], list[Skipped]]:
    """Parse and validate the file without touching the store."""
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise fail(path, "file", f"cannot be read: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError as exc:
        raise fail(path, "file", f"is not JSON: {exc}") from None
    if not isinstance(data, list):
        raise fail(
            path, "file", f"a Label Studio JSON export is a list of tasks, not a {type(data).__name__}"
        )
    tasks: list[ExternalTask] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    from_names: set[str] = set()
    for position, raw in enumerate(data):
        task = _task(
            path, position, raw, schema, from_name, text_field, project, users or {}, skipped, from_names
        )
        if task.key in seen:
            raise fail(path, task.record, f"the same task id as {seen[task.key]}")
        seen[task.key] = task.record
        keep_latest_per_user(task, skipped)
        tasks.append(task)
    if from_names and not any(task.answers for task in tasks) and from_name not in from_names:
        raise fail(
            path,
            "file",
            f"no annotation has a result from {from_name!r}; the results come from "
            f"{', '.join(sorted(from_names))} (pass one as from_name)",
        )
    return tasks, skipped


def _task(
    path: Path,
    position: int,
    raw: Any,
    schema: LabelSchema,
    from_name: str,
    text_field: str,
    project: str | None,
    users: Mapping[int, str],
    skipped: list[Skipped],
    from_names: set[str],
) -> ExternalTask:
    where = f"task #{position + 1}"
    if not isinstance(raw, dict):
        raise fail(path, where, f"a task is an object, not {raw!r}")
    task_id = raw.get("id")
    if not isinstance(task_id, int | str) or isinstance(task_id, bool) or str(task_id) == "":
        raise fail(path, where, "has no task id")
    where = f"task {task_id}"
    data = raw.get("data")
    if not isinstance(data, dict):
        raise fail(path, where, "has no data object")
    text = data.get(text_field)
    if not isinstance(text, str) or not text.strip():
        fields = ", ".join(sorted(data)) or "none"
        raise fail(path, where, f"has no text in data.{text_field} (its data fields: {fields})")
    key = f"{SOURCE}:{project}:{task_id}" if project else f"{SOURCE}:{task_id}"
    task = ExternalTask(where, key, text)
    annotations = raw.get("annotations") or []
    if not isinstance(annotations, list):
        raise fail(path, where, "annotations is not a list")
    for index, annotation in enumerate(annotations):
        answer = _annotation(path, where, index, annotation, schema, from_name, users, skipped, from_names)
        if answer is not None:
            task.answers.append(answer)
    for index, prediction in enumerate(raw.get("predictions") or []):
        version = prediction.get("model_version") if isinstance(prediction, dict) else None
        skipped.append(
            Skipped(
                f"{where}, prediction {index + 1}", f"a prediction ({version or 'model'}), not a person's"
            )
        )
    return task


def _annotation(
    path: Path,
    task: str,
    index: int,
    raw: Any,
    schema: LabelSchema,
    from_name: str,
    users: Mapping[int, str],
    skipped: list[Skipped],
    from_names: set[str],
) -> ExternalAnswer | None:
    if not isinstance(raw, dict):
        raise fail(path, f"{task}, annotation #{index + 1}", f"an annotation is an object, not {raw!r}")
    where = (
        f"{task}, annotation {raw['id']}" if raw.get("id") is not None else f"{task}, annotation #{index + 1}"
    )
    if raw.get("was_cancelled"):
        skipped.append(Skipped(where, "cancelled (skipped) in Label Studio"))
        return None
    user = _user_name(path, where, raw.get("completed_by"), users)
    result = raw.get("result")
    if not isinstance(result, list):
        raise fail(path, where, "has no result list")
    from_names |= {str(r["from_name"]) for r in result if isinstance(r, dict) and r.get("from_name")}
    mine = [r for r in result if isinstance(r, dict) and r.get("from_name") == from_name]
    if not mine:
        skipped.append(Skipped(where, f"no result from {from_name!r} (nothing chosen)"))
        return None
    if len(mine) > 1:
        raise fail(path, where, f"has {len(mine)} results from {from_name!r}; expected one")
    label = checked_label(path, where, schema, _label(path, where, mine[0], schema))
    created = raw.get("created_at")
    return ExternalAnswer(
        where, user, label, str(raw.get("id")), created if isinstance(created, str) else None
    )


def _user_name(path: Path, where: str, completed_by: Any, users: Mapping[int, str]) -> str:
    if isinstance(completed_by, dict):
        user_id, email = completed_by.get("id"), completed_by.get("email")
        if isinstance(user_id, int) and user_id in users:
            return users[user_id]
        if isinstance(email, str) and email.strip():
            return email.strip()
        if isinstance(user_id, int):
            return f"{SOURCE}-user-{user_id}"
    elif isinstance(completed_by, int) and not isinstance(completed_by, bool):
        return users.get(completed_by, f"{SOURCE}-user-{completed_by}")
    raise fail(path, where, f"completed_by {completed_by!r} is neither a user id nor an object with an email")


def _label(path: Path, where: str, result: dict[str, Any], schema: LabelSchema) -> Any:
    kind, expected = schema.kind, _RESULT_TYPE[schema.kind]
    if result.get("type") != expected:
        raise fail(path, where, f"a {kind} schema reads {expected!r} results, not {result.get('type')!r}")
    value = result.get("value")
    if not isinstance(value, dict):
        raise fail(path, where, "the result has no value object")
    if expected == "choices":
        choices = value.get("choices")
        if not isinstance(choices, list):
            raise fail(path, where, "the result has no value.choices list")
        if kind == "single_label":
            if len(choices) != 1:
                raise fail(path, where, f"a single_label answer is one choice, not {choices!r}")
            return choices[0]
        return choices
    if expected == "rating":
        if "rating" not in value:
            raise fail(path, where, "the result has no value.rating")
        return value["rating"]
    texts = value.get("text")
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise fail(path, where, "the result has no value.text list")
    return "\n".join(texts)


def _result(label: Any, schema: LabelSchema, from_name: str, to_name: str, result_id: str) -> dict[str, Any]:
    kind = _RESULT_TYPE[schema.kind]
    if kind == "choices":
        value: dict[str, Any] = {"choices": label if isinstance(label, list) else [label]}
    elif kind == "rating":
        value = {"rating": int(label)}
    else:
        value = {"text": [label]}
    return {
        "id": result_id,
        "from_name": from_name,
        "to_name": to_name,
        "type": kind,
        "origin": "manual",
        "value": value,
    }


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
        item_schema = item.label_schema
        annotations = [
            {
                "id": answer.annotation_id,
                "completed_by": {"id": answer.user_id, "email": answer.user},
                "result": [
                    _result(answer.label, item_schema, from_name, to_name, f"tl-{answer.annotation_id}")
                ],
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
                    "result": [_result(exported.gold, item_schema, from_name, to_name, f"tl-gold-{item.id}")],
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
