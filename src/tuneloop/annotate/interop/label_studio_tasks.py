"""Reading a Label Studio JSON export task by task, the way Label Studio itself reads tasks.

The layout, and what the import makes of each part of it, are in `label_studio.py`'s docstring;
this module only turns the file into a `ParsedFile` (tasks with their checked answers, what was
skipped and why, the notes), without touching the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tuneloop.annotate.interop.common import (
    BadRecord,
    ExternalAnswer,
    ExternalTask,
    ParsedFile,
    checked_label,
    counted,
    fail,
    keep_latest_per_user,
    plural,
    refuse_unread,
)
from tuneloop.annotate.interop.label_studio_fields import results_record
from tuneloop.annotate.store.models import FIELDS, LabelSchema

SOURCE = "label-studio"
UNATTRIBUTED = f"{SOURCE}-unattributed"
RESULT_TYPE = {
    "single_label": "choices",
    "multi_label": "choices",
    "rating": "rating",
    "free_text_correction": "textarea",
    FIELDS: "labels",  # spans; the other fields come as their own controls' results
}


def read_label_studio(
    path: Path,
    schema: LabelSchema,
    *,
    from_name: str = "label",
    to_name: str | None = None,
    text_field: str = "text",
    project: str | None = None,
    users: Mapping[int, str] | None = None,
) -> ParsedFile:
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
    reader = _Reader(path, schema, from_name, to_name, text_field, project, users or {})
    for position, raw in enumerate(data, start=1):
        reader.read_task(position, raw)
    reader.finish(len(data))
    return reader.parsed


@dataclass
class _Reader:
    """One pass over a file's tasks: what was read, skipped, and decided along the way."""

    path: Path
    schema: LabelSchema
    from_name: str
    to_name: str | None
    text_field: str
    project: str | None
    users: Mapping[int, str]
    parsed: ParsedFile = field(default_factory=ParsedFile)
    seen: dict[str, str] = field(default_factory=dict)
    controls: set[tuple[str, str]] = field(default_factory=set)  # (from_name, to_name) of results
    numbered: list[int] = field(default_factory=list)  # positions of tasks without an id
    undata: list[str] = field(default_factory=list)  # tasks without a data object
    unattributed: int = 0
    cancelled: int = 0
    predictions: Counter[str] = field(default_factory=Counter)

    def read_task(self, position: int, raw: Any) -> None:
        try:
            task = self._task(position, raw)
        except BadRecord as bad:
            self.parsed.bad_record(bad)
            return
        keep_latest_per_user(task, self.parsed.skipped)
        self.parsed.tasks.append(task)

    def _task(self, position: int, raw: Any) -> ExternalTask:
        where = f"task #{position}"
        if not isinstance(raw, dict):
            raise BadRecord(where, f"a task is an object, not {raw!r}")
        prefix = f"{SOURCE}:{self.project}" if self.project else SOURCE
        task_id = raw.get("id")
        if task_id is None:
            key = f"{prefix}:{self.path.name}#{position}"
            self.numbered.append(position)
        elif isinstance(task_id, int | str) and not isinstance(task_id, bool) and str(task_id) != "":
            where, key = f"task {task_id}", f"{prefix}:{task_id}"
        else:
            raise BadRecord(where, f"its id {task_id!r} is not a task id")
        if key in self.seen:
            raise BadRecord(where, f"the same task id as {self.seen[key]}")
        text = self._text(where, raw)
        self.seen[key] = where
        task = ExternalTask(where, key, text)
        annotations = raw.get("annotations") or []
        if not isinstance(annotations, list):
            raise BadRecord(where, "annotations is not a list")
        for index, annotation in enumerate(annotations, start=1):
            try:
                answer = self._annotation(where, index, annotation, text)
            except BadRecord as bad:
                self.parsed.bad_answer(bad)
                continue
            if answer is not None:
                task.answers.append(answer)
        predictions = raw.get("predictions")
        for prediction in predictions if isinstance(predictions, list) else []:
            version = prediction.get("model_version") if isinstance(prediction, dict) else None
            self.predictions[str(version) if version else "no model_version"] += 1
        return task

    def _text(self, where: str, raw: dict[str, Any]) -> str:
        data = raw.get("data")
        if data is None:  # Label Studio reads such a task's own fields as its data
            data = raw
            self.undata.append(where)
        elif not isinstance(data, dict):
            raise BadRecord(where, f"its data is {data!r}, not an object")
        text = data.get(self.text_field)
        if not isinstance(text, str) or not text.strip():
            place = f"data.{self.text_field}" if data is not raw else repr(self.text_field)
            fields = ", ".join(sorted(k for k in data if k not in ("annotations", "predictions"))) or "none"
            raise BadRecord(where, f"has no text in {place} (its data fields: {fields}; pass --field NAME)")
        return text

    def _annotation(self, task: str, index: int, raw: Any, text: str) -> ExternalAnswer | None:
        if not isinstance(raw, dict):
            raise BadRecord(f"{task}, annotation #{index}", f"an annotation is an object, not {raw!r}")
        has_id = raw.get("id") is not None
        where = f"{task}, annotation {raw['id']}" if has_id else f"{task}, annotation #{index}"
        if raw.get("was_cancelled"):
            self.cancelled += 1
            self.parsed.skip(where, "cancelled (skipped) in Label Studio")
            return None
        result = raw.get("result")
        if not isinstance(result, list):
            raise BadRecord(where, "has no result list")
        results = [r for r in result if isinstance(r, dict) and r.get("from_name")]
        self.controls |= {(str(r["from_name"]), str(r.get("to_name"))) for r in results}
        if self.schema.kind == FIELDS:  # several results, none at all included: the empty record
            record = results_record(where, self._pointed(results), self.schema, self.from_name, text)
            label = checked_label(where, self.schema, record, text)
            return self._answer(where, raw, has_id, label)
        mine = [r for r in results if r["from_name"] == self.from_name]
        if self.to_name is not None:
            mine = [r for r in mine if r.get("to_name") == self.to_name]
        if not mine:
            self.parsed.skip(where, f"no result from {self._control()} (nothing chosen)")
            return None
        if len(mine) > 1:
            objects = ", ".join(sorted({str(r.get("to_name")) for r in mine}))
            raise BadRecord(
                where,
                f"has {len(mine)} results from {self._control()} (to {objects}); expected one "
                "(pass --to-name to choose the object)",
            )
        label = checked_label(where, self.schema, self._label(where, mine[0]))
        return self._answer(where, raw, has_id, label)

    def _pointed(self, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The results pointing at the object tag `to_name` (all of them without it)."""
        return [r for r in results if self.to_name is None or r.get("to_name") == self.to_name]

    def _answer(self, where: str, raw: dict[str, Any], has_id: bool, label: Any) -> ExternalAnswer:
        user = self._user_name(where, raw.get("completed_by"))
        created = raw.get("created_at")
        return ExternalAnswer(
            where,
            user,
            label,
            str(raw["id"]) if has_id else None,
            created if isinstance(created, str) else None,
        )

    def _control(self) -> str:
        to = f" to {self.to_name!r}" if self.to_name is not None else ""
        return f"{self.from_name!r}{to}"

    def _user_name(self, where: str, completed_by: Any) -> str:
        if completed_by is None:
            self.unattributed += 1
            return UNATTRIBUTED
        if isinstance(completed_by, dict):
            user_id, email = completed_by.get("id"), completed_by.get("email")
            if isinstance(user_id, int) and user_id in self.users:
                return self.users[user_id]
            if isinstance(email, str) and email.strip():
                return email.strip()
            if isinstance(user_id, int):
                return f"{SOURCE}-user-{user_id}"
        elif isinstance(completed_by, int) and not isinstance(completed_by, bool):
            return self.users.get(completed_by, f"{SOURCE}-user-{completed_by}")
        raise BadRecord(
            where, f"completed_by {completed_by!r} is neither a user id nor an object with an email"
        )

    def _label(self, where: str, result: dict[str, Any]) -> Any:
        kind, expected = self.schema.kind, RESULT_TYPE[self.schema.kind]
        if result.get("type") != expected:
            raise BadRecord(where, f"a {kind} schema reads {expected!r} results, not {result.get('type')!r}")
        value = result.get("value")
        if not isinstance(value, dict):
            raise BadRecord(where, "the result has no value object")
        if expected == "choices":
            choices = value.get("choices")
            if not isinstance(choices, list):
                raise BadRecord(where, "the result has no value.choices list")
            if kind == "single_label":
                if len(choices) != 1:
                    raise BadRecord(where, f"a single_label answer is one choice, not {choices!r}")
                return choices[0]
            return choices
        if expected == "rating":
            if "rating" not in value:
                raise BadRecord(where, "the result has no value.rating")
            return value["rating"]
        texts = value.get("text")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise BadRecord(where, "the result has no value.text list")
        return "\n".join(texts)

    def finish(self, tasks: int) -> None:
        """Refuse a file nothing can be read from; say how the rest was read."""
        parsed = self.parsed
        matching = {c for c in self.controls if c[0] == self.from_name and self.to_name in (None, c[1])}
        if self.controls and not matching and not parsed.answers():
            found = ", ".join(f"{f} (to {t})" for f, t in sorted(self.controls))
            raise fail(
                self.path,
                "file",
                f"no annotation has a result from {self._control()}; the results come from {found} "
                "(name the control with --from-name, and the object with --to-name)",
            )
        refuse_unread(self.path, parsed, tasks, "task", "annotation")
        if self.numbered:
            parsed.notes.append(
                f"{plural(len(self.numbered), 'task')} without an id: each is keyed by its position in "
                f"the file ({SOURCE}:{self.path.name}#N), so the same file imports once, and a renamed "
                "or reordered copy imports as new items"
            )
        if self.undata:
            parsed.notes.append(
                f"{plural(len(self.undata), 'task')} without a data object ({_some(self.undata)}): "
                "their own fields are the data, as Label Studio reads them"
            )
        if self.unattributed:
            parsed.notes.append(
                f"{plural(self.unattributed, 'annotation')} without completed_by: answers of one user, "
                f"{UNATTRIBUTED} (Label Studio gives them to the person importing the file)"
            )
        if self.cancelled:
            parsed.notes.append(f"{plural(self.cancelled, 'cancelled annotation')} skipped")
        if self.predictions:
            parsed.notes.append(
                f"{plural(self.predictions.total(), 'prediction')} not imported (a model's answers, "
                f"not a person's): {counted(self.predictions)}"
            )


def _some(records: list[str], shown: int = 5) -> str:
    return ", ".join(records[:shown]) + (", ..." if len(records) > shown else "")
