"""Argilla 2: read records as Argilla writes them (`records.to_json`, `to_list`, `to_datasets`,
`to_hub`), and write the store in the flat layout `to_hub` pushes.

The layouts (https://docs.argilla.io/latest/how_to_guides/import_export/), one per record; for
a question named `label` (`argilla_records.py` reads both, record by record):

    nested (records.to_json, to_list()): a JSON array of
      {"id", "fields": {"text": ...}, "metadata": {...}, "status",
       "responses": {"label": [{"value": ..., "user_id": UUID}, ...]},
       "suggestions": {"label": {"value": ..., "score": 0.9, "agent": "..."}}}
    flat (to_list(flatten=True), to_datasets, to_hub): JSON, JSON lines or Parquet rows of
      id, _server_id, status ("pending" | "completed"), text, <metadata columns>,
      label.responses          [value, ...]           one per person who responded
      label.responses.users    [user UUID, ...]       same order
      label.responses.status   ["submitted" | "discarded" | "draft", ...]
      label.suggestion, label.suggestion.score, label.suggestion.agent

Values follow the question: a string for a LabelQuestion (`single_label`), a list of strings for
a MultiLabelQuestion (`multi_label`), an integer for a RatingQuestion (`rating`), text for a
TextQuestion (`free_text_correction`).

Import: a record becomes an item keyed `argilla:ID` (`argilla:DATASET:ID` with `dataset`);
only `submitted` responses become answers (the nested layout keeps no status: its responses are
read as submitted, and a note says so). Drafts and discarded responses are skipped and listed;
suggestions (a model's answers, not a person's), metadata, vectors and other fields and
questions are not imported, and a note names them. Argilla's export names users by UUID only,
so `users` maps UUIDs to store names (from `client.users` on the Argilla side); an unmapped
UUID becomes the user `argilla-UUID`. A record or response that cannot be read is skipped with
the reason; the file is refused only when nothing in it can be.

Export: one row per item with the annotators' own current answers as `submitted` responses; a
user's UUID is the one they were imported with (`argilla-UUID`), else a UUID derived from their
name (uuid5), so the same person keeps one id across exports. `export_argilla` returns the
UUID -> name map, for `import_argilla(users=...)` or for creating the users in Argilla. The gold
label of an adjudicated item is the record's suggestion, agent `tuneloop-adjudication:NAME`,
for the reason given in `label_studio.py`. `_server_id` is left empty: Argilla assigns it.
A fields schema's record is a SpanQuestion's response and one response per other field
(`argilla_fields.py`).
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

from tuneloop.annotate.interop.argilla_fields import fields_row
from tuneloop.annotate.interop.argilla_records import SOURCE, USER_PREFIX, read_argilla
from tuneloop.annotate.interop.common import ImportReport, fail, items_for_export, load
from tuneloop.annotate.store.items import DEFAULT_OVERLAP
from tuneloop.annotate.store.models import FIELDS, LabelSchema, User

GOLD_AGENT = "tuneloop-adjudication"
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
    """Import Argilla 2 records (`.json` as `to_json`/`to_list` write them, `.jsonl` or `.parquet`
    rows): see module doc.

    `field` is the text field to annotate, `question` the question whose responses are labels,
    `users` maps response user UUIDs to store user names. What cannot be read is skipped and
    listed; nothing is written when the store refuses part of the file.
    """
    path = Path(path)
    parsed = read_argilla(path, schema, field=field, question=question, dataset=dataset, users=users)
    return load(session, path, parsed, schema, overlap=overlap, source=SOURCE, by=by)


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
        if item.label_schema.kind == FIELDS:
            rows.append(fields_row(exported, ids, field, question, f"{GOLD_AGENT}:{exported.adjudicator}"))
            continue
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
