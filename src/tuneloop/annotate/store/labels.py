"""Label schemas and the check every submitted, corrected or gold label passes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.orm import Session

from tuneloop.annotate.store.errors import InvalidLabel, StoreError
from tuneloop.annotate.store.models import SCHEMA_KINDS, LabelSchema, User
from tuneloop.annotate.store.repository import audit


def add_label_schema(
    session: Session, name: str, kind: str, labels: Sequence[str] = (), *, by: User | None = None
) -> LabelSchema:
    """`labels`: the choices of `single_label` and `multi_label`, the scale of `rating` (e.g. 1..5
    as strings); `free_text_correction` takes any non-empty text and needs none."""
    if kind not in SCHEMA_KINDS:
        raise StoreError(f"label schema kind {kind!r} is not one of {', '.join(SCHEMA_KINDS)}")
    if kind != "free_text_correction" and len(set(labels)) < 2:
        raise StoreError(f"a {kind} schema needs at least 2 distinct labels")
    schema = LabelSchema(name=name, kind=kind, labels=list(labels))
    session.add(schema)
    audit(session, by, "schema.add", schema, name=name, kind=kind, labels=list(labels))
    return schema


def check_label(schema: LabelSchema, label: Any) -> Any:
    """The label in its stored form (multi-label sorted), or `InvalidLabel` saying what fits."""
    allowed = ", ".join(schema.labels)
    if schema.kind in ("single_label", "rating"):
        value = str(label) if schema.kind == "rating" and isinstance(label, int) else label
        if not isinstance(value, str) or value not in schema.labels:
            raise InvalidLabel(f"{label!r} is not one of the {schema.kind} labels: {allowed}")
        return value
    if schema.kind == "multi_label":
        if not isinstance(label, list | tuple) or not all(isinstance(v, str) for v in label):
            raise InvalidLabel(f"a multi_label answer is a list of labels, not {label!r}")
        unknown = sorted(set(label) - set(schema.labels))
        if unknown:
            raise InvalidLabel(f"{', '.join(unknown)} not among the labels: {allowed}")
        return sorted(set(label))
    if not isinstance(label, str) or not label.strip():
        raise InvalidLabel("a free_text_correction answer is non-empty text")
    return label


def same_label(a: Any, b: Any) -> bool:
    """Labels compare by value: stored multi-labels are sorted, so JSON equality is enough."""
    return bool(orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(b, option=orjson.OPT_SORT_KEYS))
