"""Argilla 2: read the records `rg.Dataset.to_hub` pushes (Parquet) or `to_datasets` gives (saved
as Parquet or JSON lines), and write the store in the same layout.

The layout (https://docs.argilla.io/latest/how_to_guides/import_export/): one row per record,
with its fields as columns and, for a question named `label`, flat columns

    id, _server_id, status ("pending" | "completed"), text,
    label.responses          [value, ...]           one per person who responded
    label.responses.users    [user UUID, ...]       same order
    label.responses.status   ["submitted" | "discarded" | "draft", ...]
    label.suggestion, label.suggestion.score, label.suggestion.agent

Values follow the question: a string for a LabelQuestion (`single_label`), a list of strings for
a MultiLabelQuestion (`multi_label`), an integer for a RatingQuestion (`rating`), text for a
TextQuestion (`free_text_correction`).

Import: a record becomes an item keyed `argilla:ID` (`argilla:DATASET:ID` with `dataset`);
only `submitted` responses become answers. Drafts and discarded responses, and suggestions (a
model's answers, not a person's), are reported, not imported. Argilla's export names users by
UUID only, so `users` maps UUIDs to store names (from `client.users` on the Argilla side);
an unmapped UUID becomes the user `argilla-UUID`.

Export: one row per item with the annotators' own current answers as `submitted` responses; a
user's UUID is the one they were imported with (`argilla-UUID`), else a UUID derived from their
name (uuid5), so the same person keeps one id across exports. `export_argilla` returns the
UUID -> name map, for `import_argilla(users=...)` or for creating the users in Argilla. The gold
label of an adjudicated item is the record's suggestion, agent `tuneloop-adjudication:NAME`,
for the reason given in `label_studio.py`. `_server_id` is left empty: Argilla assigns it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
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

SOURCE = "argilla"
USER_PREFIX = "argilla-"
GOLD_AGENT = "tuneloop-adjudication"
STATUSES = ("submitted", "discarded", "draft")
# uuid5 namespace for store users who never came from Argilla: the same name, the same UUID.
USER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tuneloop/annotate/users")


def import_argilla(
    session: Session,
    path: Path | str,
    schema: LabelSchema,
    *,
    field: str = "text",
    question: str = "label",
    dataset: str | None = None,
    users: Mapping[str, str] | None = None,
    overlap: int = DEFAULT_OVERLAP,
    by: User | None = None,
) -> ImportReport:
    """Import Argilla 2 records (a `.parquet` file, or `.jsonl`/`.json` lines): see module doc.

    `field` is the text field to annotate, `question` the question whose responses are labels,
    `users` maps response user UUIDs to store user names. Nothing is written unless the whole
    file is valid.
    """
    path = Path(path)
    tasks, skipped = read_argilla(path, schema, field, question, dataset, users or {})
    return load(session, path, tasks, schema, overlap=overlap, source=SOURCE, skipped=skipped, by=by)


def read_rows(path: Path) -> tuple[list[dict[str, Any]], set[str]]:
    """The file's rows and its column names (for JSON lines: every key any row has)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise fail(path, "file", "does not exist")
    if suffix == ".parquet":
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise fail(path, "file", f"is not a readable Parquet file: {exc}") from None
        return table.to_pylist(), set(table.column_names)
    if suffix not in (".jsonl", ".json"):
        raise fail(path, "file", "expected a .parquet, .jsonl or .json (JSON lines) file")
    rows: list[dict[str, Any]] = []
    columns: set[str] = set()
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise fail(path, f"line {number}", f"is not JSON: {exc}") from None
        if not isinstance(row, dict):
            raise fail(path, f"line {number}", "a record is a JSON object")
        rows.append(row)
        columns |= set(row)
    return rows, columns


def read_argilla(
    path: Path,
    schema: LabelSchema,
    field: str = "text",
    question: str = "label",
    dataset: str | None = None,
    users: Mapping[str, str] | None = None,
) -> tuple[list[ExternalTask], list[Skipped]]:
    """Parse and validate the file without touching the store."""
    rows, columns = read_rows(path)
    values, who, status = (
        f"{question}.responses",
        f"{question}.responses.users",
        f"{question}.responses.status",
    )
    missing = [c for c in ("id", field, values, who, status) if c not in columns]
    if missing and rows:
        raise fail(
            path,
            "file",
            f"has no column {', '.join(missing)} (its columns: {', '.join(sorted(columns))}); "
            "pass the field and question names",
        )
    tasks: list[ExternalTask] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for position, row in enumerate(rows):
        record_id = row.get("id")
        if record_id is None or str(record_id) == "":
            raise fail(path, f"row {position + 1}", "has no record id")
        where = f"record {record_id}"
        text = row.get(field)
        if not isinstance(text, str) or not text.strip():
            raise fail(path, where, f"has no text in field {field!r}")
        key = f"{SOURCE}:{dataset}:{record_id}" if dataset else f"{SOURCE}:{record_id}"
        if key in seen:
            raise fail(path, where, f"the same record id as {seen[key]}")
        seen[key] = where
        task = ExternalTask(where, key, text)
        answers = _responses(path, where, row.get(values), row.get(who), row.get(status))
        for index, (value, user, state) in enumerate(answers):
            response = f"{where}, response {index + 1}"
            if state != "submitted":
                skipped.append(Skipped(response, f"{state}, not submitted (by {user})"))
                continue
            if value is None:
                raise fail(path, response, "a submitted response has no value")
            name = (users or {}).get(user, f"{USER_PREFIX}{user}")
            if any(a.user == name for a in task.answers):
                raise fail(path, response, f"{name} responded twice to one record")
            label = checked_label(path, response, schema, value)
            task.answers.append(ExternalAnswer(response, name, label, f"{record_id}:{user}"))
        keep_latest_per_user(task, skipped)
        suggestion = row.get(f"{question}.suggestion")
        if suggestion is not None:
            agent = row.get(f"{question}.suggestion.agent") or "model"
            skipped.append(Skipped(f"{where}, suggestion", f"a suggestion ({agent}), not a person's"))
        tasks.append(task)
    return tasks, skipped


def _responses(path: Path, where: str, values: Any, who: Any, status: Any) -> list[tuple[Any, str, str]]:
    if values is None and who is None and status is None:
        return []
    lists = {"responses": values, "responses.users": who, "responses.status": status}
    for name, column in lists.items():
        if not isinstance(column, list):
            raise fail(path, where, f"{name} is {column!r}, not a list")
    if not len(values) == len(who) == len(status):
        raise fail(
            path,
            where,
            f"{len(values)} responses, {len(who)} users and {len(status)} statuses: one each per response",
        )
    for user, state in zip(who, status, strict=True):
        if not isinstance(user, str) or not user:
            raise fail(path, where, f"response user {user!r} is not a user id")
        if state not in STATUSES:
            raise fail(path, where, f"response status {state!r} is not one of {', '.join(STATUSES)}")
    return list(zip(values, who, status, strict=True))


def user_uuid(name: str) -> str:
    """The Argilla user id of a store user: the one they came with, else derived from the name."""
    if name.startswith(USER_PREFIX):
        try:
            return str(uuid.UUID(name.removeprefix(USER_PREFIX)))
        except ValueError:
            pass
    return str(uuid.uuid5(USER_NAMESPACE, name))


def _value(label: Any, schema: LabelSchema) -> Any:
    return int(label) if schema.kind == "rating" else label


def export_argilla(
    session: Session,
    path: Path | str,
    *,
    schema: LabelSchema | None = None,
    field: str = "text",
    question: str = "label",
) -> dict[str, str]:
    """Write the store's items (of `schema`, if given) as Argilla 2 records to `.parquet` or
    `.jsonl`; returns the user UUID -> store name map of the responses written."""
    path = Path(path)
    if path.suffix.lower() not in (".parquet", ".jsonl"):
        raise fail(path, "file", "export writes a .parquet or .jsonl file")
    names: dict[str, str] = {}
    rows = []
    for exported in items_for_export(session, schema):
        item = exported.item
        ids = [user_uuid(answer.user) for answer in exported.answers]
        names |= {uid: answer.user for uid, answer in zip(ids, exported.answers, strict=True)}
        answered = bool(exported.answers)
        rows.append(
            {
                "id": item.source_key.removeprefix(f"{SOURCE}:"),
                "_server_id": None,
                "status": "completed" if item.closed_at is not None else "pending",
                field: item.text,
                f"{question}.responses": [_value(a.label, item.label_schema) for a in exported.answers]
                if answered
                else None,
                f"{question}.responses.users": ids if answered else None,
                f"{question}.responses.status": ["submitted"] * len(ids) if answered else None,
                f"{question}.suggestion": _value(exported.gold, item.label_schema)
                if exported.gold is not None
                else None,
                f"{question}.suggestion.score": None,
                f"{question}.suggestion.agent": f"{GOLD_AGENT}:{exported.adjudicator}"
                if exported.gold is not None
                else None,
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    return names
