"""Small Label Studio and Argilla files for the interop tests, and reading a store back as triples."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from tuneloop.annotate.store import Store, export_records
from tuneloop.annotate.store.models import Item

#: Real files from Label Studio's and Argilla's own code, with their sources in each README.
ASSETS = Path(__file__).resolve().parents[2] / "assets"


def ls_annotation(
    annotation_id: int, completed_by: Any, label: Any, *, cancelled: bool = False, from_name: str = "label"
) -> dict[str, Any]:
    choices = label if isinstance(label, list) else [label]
    return {
        "id": annotation_id,
        "completed_by": completed_by,
        "result": [
            {
                "id": f"r{annotation_id}",
                "from_name": from_name,
                "to_name": "text",
                "type": "choices",
                "value": {"choices": choices},
            }
        ],
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": "2024-05-01T10:00:00.000000Z",
        "lead_time": 3.5,
    }


def ls_task(task_id: int, text: str, *annotations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": task_id, "data": {"text": text}, "annotations": list(annotations), "project": 7, **extra}


def write_json(path: Path, value: Any) -> Path:
    path.write_bytes(orjson.dumps(value))
    return path


def argilla_record(
    record_id: str, text: str, responses: list[tuple[Any, str, str]], suggestion: Any = None
) -> dict[str, Any]:
    """`responses`: (value, user UUID, status) triples."""
    return {
        "id": record_id,
        "_server_id": str(uuid.uuid5(uuid.NAMESPACE_URL, record_id)),
        "status": "completed" if responses else "pending",
        "text": text,
        "label.responses": [value for value, _, _ in responses] or None,
        "label.responses.users": [user for _, user, _ in responses] or None,
        "label.responses.status": [status for _, _, status in responses] or None,
        "label.suggestion": suggestion,
        "label.suggestion.score": 0.9 if suggestion is not None else None,
        "label.suggestion.agent": "tiny-model" if suggestion is not None else None,
    }


def write_records(path: Path, records: list[dict[str, Any]]) -> Path:
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(records), path)
    else:
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def triples(store: Store) -> set[tuple[str, str, str]]:
    """(item text, annotator, label) of every current answer: what a round trip must keep."""
    with store.begin() as s:
        texts = dict(s.execute(select(Item.id, Item.text)).tuples().all())
        return {(texts[r.item], r.annotator, orjson.dumps(r.label).decode()) for r in export_records(s)}
