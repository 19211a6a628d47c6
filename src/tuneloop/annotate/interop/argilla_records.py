"""Reading Argilla 2 records record by record, in each layout Argilla writes them.

What the import makes of a record is in `argilla.py`'s docstring; this module only turns the
file into a `ParsedFile` without touching the store. The layouts, told apart per record:

- nested, as `dataset.records.to_json(path)` and `to_list()` write them (a JSON array):
  `{"id", "fields": {"text": ...}, "metadata": {...}, "responses": {"label": [{"value",
  "user_id"}]}, "suggestions": {"label": {"value", "score", "agent"}}, "vectors", "status"}`.
  These responses carry no status (Argilla drops it there): they are read as submitted, and a
  note says so;
- flat, as `to_list(flatten=True)`, `to_datasets()` and `to_hub` write them (a JSON array, JSON
  lines or Parquet): fields and metadata as columns, `label.responses`, `label.responses.users`,
  `label.responses.status`, `label.suggestion`, `label.suggestion.agent`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from tuneloop.annotate.interop.argilla_fields import response_record, responses_by_user, value_questions
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
from tuneloop.annotate.store.models import FIELDS, LabelSchema

SOURCE = "argilla"
USER_PREFIX = "argilla-"
STATUSES = ("submitted", "discarded", "draft")
_RECORD_KEYS = {"id", "_server_id", "status"}


def read_argilla(
    path: Path,
    schema: LabelSchema,
    *,
    field: str = "text",
    question: str = "label",
    dataset: str | None = None,
    users: Mapping[str, str] | None = None,
) -> ParsedFile:
    """Parse and validate the file without touching the store."""
    reader = _Reader(path, schema, field, question, dataset, users or {})
    rows = read_rows(path, reader.parsed)
    total = len(rows) + len(reader.parsed.bad_records)
    for where, row in rows:
        reader.read(where, row)
    reader.finish(total)
    return reader.parsed


def read_rows(path: Path, parsed: ParsedFile) -> list[tuple[str, Any]]:
    """The file's records, each with where it is; a JSON line that is not JSON is a bad record."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise fail(path, "file", "does not exist")
    if suffix == ".parquet":
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise fail(path, "file", f"is not a readable Parquet file: {exc}") from None
        return [(f"row {n}", row) for n, row in enumerate(table.to_pylist(), start=1)]
    if suffix not in (".jsonl", ".json"):
        raise fail(path, "file", "expected a .parquet, .jsonl or .json file")
    content = path.read_bytes()
    if content.lstrip().startswith(b"["):  # to_json, or to_list() saved with json.dump
        try:
            records = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise fail(path, "file", f"is not JSON: {exc}") from None
        return [(f"record #{n}", row) for n, row in enumerate(records, start=1)]
    rows: list[tuple[str, Any]] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((f"line {number}", orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            parsed.bad_record(BadRecord(f"line {number}", f"is not JSON: {exc}"))
    return rows


@dataclass
class _Record:
    """One record, whichever layout it came in."""

    where: str
    record_id: Any
    text: Any
    responses: list[tuple[Any, Any, Any]]  # (value, user id, status; None when not written)
    suggestion: str | None  # the suggesting agent ("" unnamed), None without a suggestion
    fields: set[str]  # the names the text could have been under
    questions: set[str]
    unread: set[str]
    extra: dict[str, list[tuple[Any, Any, Any]]] = field(default_factory=dict)  # a fields record's others


def _nested(where: str, row: dict[str, Any], name: str, question: str, extra: list[str]) -> _Record:
    fields, parts = row["fields"], {}
    for part in ("metadata", "responses", "suggestions", "vectors"):
        value = row.get(part) or {}
        if not isinstance(value, dict):
            raise BadRecord(where, f"its {part} is {value!r}, not an object")
        parts[part] = value
    answered = {q: _nested_responses(where, parts["responses"], q) for q in (question, *extra)}
    suggestion = parts["suggestions"].get(question)
    questions = set(parts["responses"]) | set(parts["suggestions"])
    unread = {f"field {k}" for k in fields if k != name} | {f"metadata {k}" for k in parts["metadata"]}
    unread |= {f"question {q}" for q in questions - {question, *extra}}
    unread |= {f"vector {k}" for k in parts["vectors"]}
    return _Record(
        where,
        row.get("id"),
        fields.get(name),
        answered.pop(question),
        None if suggestion is None else str((suggestion or {}).get("agent") or ""),
        set(fields),
        questions,
        unread,
        answered,
    )


def _nested_responses(where: str, responses: dict[str, Any], question: str) -> list[tuple[Any, Any, Any]]:
    given = responses.get(question) or []
    if not isinstance(given, list) or not all(isinstance(r, dict) for r in given):
        raise BadRecord(where, f"its responses to {question!r} are not a list of objects")
    return [(r.get("value"), r.get("user_id"), r.get("status")) for r in given]


def _flat(where: str, row: dict[str, Any], name: str, question: str, extra: list[str]) -> _Record:
    questions = {
        key.removesuffix(suffix)
        for key in row
        for suffix in (".responses", ".suggestion")
        if key.endswith(suffix)
    }
    columns = {k for k in row if k not in _RECORD_KEYS and not any(k.startswith(f"{q}.") for q in questions)}
    answered = {
        q: _aligned(
            where, *(row.get(f"{q}{s}") for s in (".responses", ".responses.users", ".responses.status"))
        )
        for q in (question, *extra)
    }
    has_suggestion = row.get(f"{question}.suggestion") is not None
    return _Record(
        where,
        row.get("id"),
        row.get(name),
        answered.pop(question),
        str(row.get(f"{question}.suggestion.agent") or "") if has_suggestion else None,
        columns,
        questions,
        {f"column {k}" for k in columns - {name}} | {f"question {q}" for q in questions - {question, *extra}},
        answered,
    )


def _aligned(where: str, values: Any, who: Any, status: Any) -> list[tuple[Any, Any, Any]]:
    if values is None and who is None and status is None:
        return []
    if status is None and isinstance(values, list):
        status = [None] * len(values)
    lists = {"responses": values, "responses.users": who, "responses.status": status}
    for name, column in lists.items():
        if not isinstance(column, list):
            raise BadRecord(where, f"{name} is {column!r}, not a list")
    if not len(values) == len(who) == len(status):
        raise BadRecord(
            where,
            f"{len(values)} responses, {len(who)} users and {len(status)} statuses: one each per response",
        )
    return list(zip(values, who, status, strict=True))


@dataclass
class _Reader:
    """One pass over a file's records: what was read, skipped, and decided along the way."""

    path: Path
    schema: LabelSchema
    text_field: str
    question: str
    dataset: str | None
    users: Mapping[str, str]
    parsed: ParsedFile = field(default_factory=ParsedFile)
    seen: dict[str, str] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)
    questions: set[str] = field(default_factory=set)
    unread: set[str] = field(default_factory=set)
    texts: int = 0  # records with the text field
    no_status: int = 0
    suggestions: Counter[str] = field(default_factory=Counter)

    @property
    def extra(self) -> list[str]:
        """The questions besides `question` that one answer spans (a fields record's other fields)."""
        return value_questions(self.schema, self.question) if self.schema.kind == FIELDS else []

    def read(self, where: str, row: Any) -> None:
        try:
            if not isinstance(row, dict):
                raise BadRecord(where, f"a record is an object, not {row!r}")
            if row.get("id") is not None and str(row["id"]) != "":
                where = f"record {row['id']}"
            layout = _nested if isinstance(row.get("fields"), dict) else _flat
            task = self._task(layout(where, row, self.text_field, self.question, self.extra))
        except BadRecord as bad:
            self.parsed.bad_record(bad)
            return
        keep_latest_per_user(task, self.parsed.skipped)
        self.parsed.tasks.append(task)

    def _task(self, record: _Record) -> ExternalTask:
        self.fields |= record.fields
        self.questions |= record.questions
        self.unread |= record.unread
        self.texts += record.text is not None
        where, record_id = record.where, record.record_id
        if record_id is None or str(record_id) == "":
            raise BadRecord(where, "has no record id")
        if not isinstance(record.text, str) or not record.text.strip():
            raise BadRecord(where, f"has no text in field {self.text_field!r}")
        key = f"{SOURCE}:{self.dataset}:{record_id}" if self.dataset else f"{SOURCE}:{record_id}"
        if key in self.seen:
            raise BadRecord(where, f"the same record id as {self.seen[key]}")
        self.seen[key] = where
        task = ExternalTask(where, key, record.text)
        if self.schema.kind == FIELDS:
            self._records(task, str(record_id), record)
            return self._counted(task, record)
        for index, (value, user, state) in enumerate(record.responses, start=1):
            try:
                answer = self._response(
                    task, str(record_id), f"{where}, response {index}", value, user, state
                )
            except BadRecord as bad:
                self.parsed.bad_answer(bad)
                continue
            if answer is not None:
                task.answers.append(answer)
        return self._counted(task, record)

    def _counted(self, task: ExternalTask, record: _Record) -> ExternalTask:
        if record.suggestion is not None:
            self.suggestions[record.suggestion or "no agent"] += 1
        return task

    def _records(self, task: ExternalTask, record_id: str, record: _Record) -> None:
        """A fields record's answers: each person's span response and other responses together."""
        try:
            by_user = responses_by_user(task.record, record.responses, record.extra)
        except BadRecord as bad:
            self.parsed.bad_answer(bad)
            return
        for index, (user, (spans, values, states)) in enumerate(by_user.items(), start=1):
            where = f"{task.record}, response {index}"
            try:
                name = self._user(where, user, _one_state(states), states if len(states) > 1 else None)
                if name is None:
                    continue
                value = response_record(where, self.schema, spans, values, task.text)
                label = checked_label(where, self.schema, value, task.text)
            except BadRecord as bad:
                self.parsed.bad_answer(bad)
                continue
            task.answers.append(ExternalAnswer(where, name, label, f"{record_id}:{user}"))

    def _user(self, where: str, user: Any, state: Any, states: set[Any] | None = None) -> str | None:
        """The store name of a response's user, or None (listed as skipped) unless submitted."""
        if not isinstance(user, str) or user in ("", "None"):
            raise BadRecord(where, f"response user {user!r} is not a user id")
        if state is None:
            self.no_status += 1
            state = "submitted"
        elif state not in STATUSES:
            raise BadRecord(where, f"response status {state!r} is not one of {', '.join(STATUSES)}")
        if state != "submitted":
            mixed = f" (its responses: {', '.join(sorted(map(str, states)))})" if states else ""
            self.parsed.skip(where, f"{state}, not submitted (by {user}){mixed}")
            return None
        return self.users.get(user, f"{USER_PREFIX}{user}")

    def _response(
        self, task: ExternalTask, record_id: str, where: str, value: Any, user: Any, state: Any
    ) -> ExternalAnswer | None:
        name = self._user(where, user, state)
        if name is None:
            return None
        if value is None:
            raise BadRecord(where, "a submitted response has no value")
        if any(a.user == name for a in task.answers):
            raise BadRecord(where, f"{name} responded twice to one record")
        label = checked_label(where, self.schema, value)
        return ExternalAnswer(where, name, label, f"{record_id}:{user}")

    def finish(self, total: int) -> None:
        """Refuse a file nothing can be read from; say how the rest was read."""
        if self.questions and self.question not in self.questions:
            raise fail(
                self.path,
                "file",
                f"no record answers the question {self.question!r} (its questions: "
                f"{', '.join(sorted(self.questions))}): pass --question NAME",
            )
        if total and not self.texts and self.fields:
            raise fail(
                self.path,
                "file",
                f"no record has the field {self.text_field!r} "
                f"(its fields: {', '.join(sorted(self.fields))}): pass --field NAME",
            )
        refuse_unread(self.path, self.parsed, total, "record", "response")
        notes = self.parsed.notes
        if self.no_status:
            notes.append(
                f"{plural(self.no_status, 'response')} without a status (the nested layout of Argilla's "
                "records.to_json and to_list() does not keep it): read as submitted, so drafts and "
                "discarded responses, if any, count as answers; to_list(flatten=True) and to_hub keep it"
            )
        if self.suggestions:
            notes.append(
                f"{plural(self.suggestions.total(), 'suggestion')} not imported (a model's answers, "
                f"not a person's): {counted(self.suggestions)}"
            )
        if self.unread:
            notes.append(f"not imported: {', '.join(sorted(self.unread))}")


def _one_state(states: set[Any]) -> Any:
    """The status of one person's responses to a record's questions: theirs when they agree, else
    the first one not submitted (a record half drafted is a draft)."""
    if len(states) == 1:
        return next(iter(states))
    pending = sorted(str(s) for s in states if s not in (None, "submitted"))
    return pending[0] if pending else "submitted"
