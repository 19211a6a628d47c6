"""Label schemas and the check every submitted, corrected or gold label passes.

A refusal names what was sent by its first `SHOWN` characters only: a 5 MB label is not echoed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.orm import Session

from tuneloop.annotate.alpha import masi_distance
from tuneloop.annotate.store.errors import InvalidLabel, StoreError
from tuneloop.annotate.store.field_answers import check_field_answer, schema_fields
from tuneloop.annotate.store.models import FIELDS, OUTPUT_REVIEW, SCHEMA_KINDS, LabelSchema, User
from tuneloop.annotate.store.repository import audit

FIXED_FORM = ("free_text_correction", OUTPUT_REVIEW, FIELDS)  # kinds whose answers are not from a label list
REVIEW_KEYS = {"rating", "correct", "corrected"}
SHOWN = 80


def shown(value: Any) -> str:
    """`repr(value)`, cut to `SHOWN` characters for a message."""
    return cut(repr(value))


def cut(text: str) -> str:
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}… ({len(text):,} characters)"


def add_label_schema(
    session: Session,
    name: str,
    kind: str,
    labels: Sequence[str] = (),
    *,
    bounds: tuple[int, int] | None = None,
    dispute_masi: float | None = None,
    field_schema: list[dict[str, Any]] | None = None,
    by: User | None = None,
) -> LabelSchema:
    """`labels`: the choices of `single_label` and `multi_label`, the scale of `rating` (e.g. 1..5
    as strings); `free_text_correction` takes any non-empty text and needs none; `output_review`
    (a person's judgement of a model output, see `check_output_review`) needs none either.
    `bounds` and `dispute_masi` (multi_label only): how few and how many labels an answer holds,
    and how far apart differing answers must be to need adjudication (see `sets_disputed`).
    `field_schema` (fields only, and required there): the extract task's fields, as dicts."""
    if kind not in SCHEMA_KINDS:
        raise StoreError(f"label schema kind {kind!r} is not one of {', '.join(SCHEMA_KINDS)}")
    if kind not in FIXED_FORM and len(set(labels)) < 2:
        raise StoreError(f"a {kind} schema needs at least 2 distinct labels")
    low, high = bounds if bounds is not None else (None, None)
    if bounds is not None and (kind != "multi_label" or not 0 <= bounds[0] <= bounds[1] <= len(labels)):
        raise StoreError(
            f"label bounds {bounds} need a multi_label schema and 0 <= min <= max <= {len(labels)} labels"
        )
    if dispute_masi is not None and (kind != "multi_label" or not 0 <= dispute_masi <= 1):
        raise StoreError(f"dispute_masi {dispute_masi} needs a multi_label schema and a distance from 0 to 1")
    if (kind == FIELDS) != (field_schema is not None):
        raise StoreError("a field schema belongs to a fields schema, and a fields schema needs one")
    if field_schema is not None:
        schema_fields(field_schema)  # refused here, not at the first answer
    settings = {
        "kind": kind,
        "labels": list(labels),
        "dispute_masi": dispute_masi,
        "field_schema": field_schema,
    }
    schema = LabelSchema(name=name, min_labels=low, max_labels=high, **settings)
    session.add(schema)
    audit(session, by, "schema.add", schema, name=name, bounds=bounds, **settings)
    return schema


def check_label(schema: LabelSchema, label: Any, text: str | None = None) -> Any:
    """The label in its stored form (a multi-label set as a list in schema order, a fields record
    canonical), or `InvalidLabel` saying what fits. `text`, the item's: what a fields record's
    extractive values must occur in."""
    allowed = ", ".join(schema.labels)
    if schema.kind in ("single_label", "rating"):
        value = str(label) if schema.kind == "rating" and isinstance(label, int) else label
        if not isinstance(value, str) or value not in schema.labels:
            raise InvalidLabel(f"{shown(label)} is not one of the {schema.kind} labels: {allowed}")
        return value
    if schema.kind == "multi_label":
        return check_label_set(schema, label)
    if schema.kind == OUTPUT_REVIEW:
        return check_output_review(label)
    if schema.kind == FIELDS:
        return check_field_answer(schema_fields(schema.field_schema), label, text)
    if not isinstance(label, str) or not label.strip():
        raise InvalidLabel("a free_text_correction answer is non-empty text")
    return label


def check_label_set(schema: LabelSchema, label: Any) -> list[str]:
    """A multi_label answer: known labels, none twice, within the schema's bounds; in schema order,
    so one set has one stored form whatever order it was ticked in."""
    if not isinstance(label, list | tuple) or not all(isinstance(v, str) for v in label):
        raise InvalidLabel(f"a multi_label answer is a list of labels, not {shown(label)}")
    unknown = sorted(set(label) - set(schema.labels))
    if unknown:
        raise InvalidLabel(f"{cut(', '.join(unknown))} not among the labels: {', '.join(schema.labels)}")
    twice = sorted({v for v in label if label.count(v) > 1})
    if twice:
        raise InvalidLabel(f"a multi_label answer names each label once; {cut(', '.join(twice))} twice")
    n = len(label)
    if schema.min_labels is not None and n < schema.min_labels:
        raise InvalidLabel(f"pick at least {schema.min_labels} label(s); this answer has {n}")
    if schema.max_labels is not None and n > schema.max_labels:
        raise InvalidLabel(f"pick at most {schema.max_labels} label(s); this answer has {n}")
    return [name for name in schema.labels if name in label]


def check_output_review(label: Any) -> dict[str, Any]:
    """A review of one model output: `rating` 1-5 (an integer), `correct` (true or false) and an
    optional `corrected` output (non-empty text, or null). A correction of an output judged
    correct is refused: it would make a candidate training row out of an answer nobody faulted."""
    expected = "{rating: 1-5, correct: true/false, corrected: text or null}"
    if not isinstance(label, dict) or not {"rating", "correct"} <= set(label) <= REVIEW_KEYS:
        raise InvalidLabel(f"an output_review answer is {expected}, not {shown(label)}")
    rating, correct, corrected = label["rating"], label["correct"], label.get("corrected")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidLabel(f"output_review rating is an integer from 1 to 5, not {shown(rating)}")
    if not isinstance(correct, bool):
        raise InvalidLabel(f"output_review correct is true or false, not {shown(correct)}")
    if corrected is not None and (not isinstance(corrected, str) or not corrected.strip()):
        raise InvalidLabel(f"output_review corrected is non-empty text or null, not {shown(corrected)}")
    if correct and corrected is not None:
        raise InvalidLabel("output_review: an output judged correct takes no corrected output")
    return {"rating": rating, "correct": correct, "corrected": corrected.strip() if corrected else None}


def sets_disputed(schema: LabelSchema, answers: list[list[str]]) -> bool:
    """Whether differing label sets need an adjudicator: with `dispute_masi`, when two of them are
    further apart than it (MASI distance) or a label was given by exactly half of the annotators
    (a per-label tie, which the per-label majority cannot decide); without it, whenever they differ."""
    if schema.dispute_masi is None:
        return True
    sets = [frozenset(answer) for answer in answers]
    if any(2 * sum(label in s for s in sets) == len(sets) for label in set().union(*sets)):
        return True
    return any(masi_distance(a, b) > schema.dispute_masi for i, a in enumerate(sets) for b in sets[i + 1 :])


def same_label(a: Any, b: Any) -> bool:
    """Labels compare by value; a multi-label set (a list) compares as a set, whatever order it was
    stored in."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return bool(orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(b, option=orjson.OPT_SORT_KEYS))
