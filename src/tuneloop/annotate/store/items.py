"""Importing items: rows of a DatasetVersion part, outputs of a trained model to be judged, or
inputs that came back from the model's use (`tuneloop round next`).

Imports are idempotent: an item is keyed by its source (`source_key`), so importing the same part
twice adds nothing, and a re-run of an import after a crash adds only what is missing. An input
from the model's use is keyed `feedback:ORIGIN:REF`, so the item says where it came from
(`item_origin`), and `REF` (the served response id, or `RUN/PREDICTION_ID` of a review candidate)
is its external id: one item per reference, whatever origin it was first routed under.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.store.errors import StoreError
from tuneloop.annotate.store.labels import InvalidLabel, check_label
from tuneloop.annotate.store.models import Item, LabelSchema, User
from tuneloop.annotate.store.repository import audit, get
from tuneloop.data.normalise import clean_text
from tuneloop.data.version import PARTS, DatasetVersion

DEFAULT_OVERLAP = 2
FEEDBACK = "feedback"
#: Where an input from the model's use came from: a client's correction of a served answer, a
#: served answer rated down, a corrected output of the human review, a low-confidence answer.
FEEDBACK_ORIGINS = ("feedback_correction", "thumbs_down", "review_candidate", "low_confidence")


@dataclass(frozen=True)
class ModelOutput:
    """One answer of a model to judge; `id` is the caller's id for it (e.g. the example id)."""

    id: str
    text: str
    model: str
    run: str
    phase: str
    domain: str | None = None


@dataclass(frozen=True)
class ExternalItem:
    """An item from another annotation tool (Label Studio, Argilla). `key` is unique per source
    (`label-studio:12`) and becomes both the source key and the external id; `overlap` is chosen
    per item, because an import may bring more annotators than the default k."""

    key: str
    text: str
    overlap: int = DEFAULT_OVERLAP


@dataclass(frozen=True)
class FeedbackItem:
    """An input that came back from the model's use, for people to label. `suggestion` (a label in
    the schema's stored form, or None) is shown as the item's suggestion, never taken as its label."""

    origin: str
    ref: str
    text: str
    model: str | None = None
    run: str | None = None
    suggestion: Any = None
    confidence: float | None = None


def item_origin(source_key: str) -> str | None:
    """The origin of an item routed from the model's use; None for any other item."""
    kind, _, rest = source_key.partition(":")
    origin = rest.partition(":")[0]
    return origin if kind == FEEDBACK and origin in FEEDBACK_ORIGINS else None


def import_items(
    session: Session,
    version: DatasetVersion,
    part: str,
    schema: LabelSchema,
    *,
    overlap: int = DEFAULT_OVERLAP,
    domain_slice: str | None = None,
    limit: int | None = None,
    by: User | None = None,
) -> list[Item]:
    """Add each row of `part` (the first `limit` rows) as an item; `domain_slice` names the slice tag
    used as its domain. Rows already imported are left as they are."""
    if part not in PARTS:
        raise StoreError(f"unknown part {part!r}; expected one of {', '.join(PARTS)}")
    items = [
        Item(
            external_id=example.id,
            text=example.text,
            source_key=f"dataset:{version.hash}:{part}:{row}",
            source_kind="dataset",
            dataset_version=version.hash,
            part=part,
            row_id=row,
            domain=example.slices.get(domain_slice) if domain_slice else None,
        )
        for row, example in enumerate(version.split(part)[:limit])
    ]
    return _add_new(session, items, schema, overlap, by, source=f"{version.hash}:{part}")


def import_model_outputs(
    session: Session,
    outputs: Iterable[ModelOutput],
    schema: LabelSchema,
    *,
    overlap: int = DEFAULT_OVERLAP,
    by: User | None = None,
) -> list[Item]:
    """Add model outputs as items, each keyed by model, run, phase and id."""
    items = [
        Item(
            external_id=out.id,
            text=out.text,
            source_key=f"model:{out.model}:{out.run}:{out.phase}:{out.id}",
            source_kind="model_output",
            model=out.model,
            run=out.run,
            phase=out.phase,
            domain=out.domain,
        )
        for out in outputs
    ]
    return _add_new(session, items, schema, overlap, by, source="model outputs")


def import_feedback_items(
    session: Session,
    items: Iterable[FeedbackItem],
    schema: LabelSchema,
    *,
    overlap: int = DEFAULT_OVERLAP,
    by: User | None = None,
) -> list[Item]:
    """Add each input once, in the order given (the claim queue is oldest first), with its
    suggestion: once per reference (one already routed, under any origin, is left as it is) and
    once per text (`clean_text`: the first, strongest origin of a text asked many times; none for
    a text that already has an item, routed or a dataset row)."""
    given = list(items)
    unknown = sorted({i.origin for i in given} - set(FEEDBACK_ORIGINS))
    if unknown:
        raise StoreError(
            f"unknown origin {', '.join(unknown)}; expected one of {', '.join(FEEDBACK_ORIGINS)}"
        )
    refs = list(dict.fromkeys(i.ref for i in given))
    routed = routed_refs(session, refs)
    fresh = {i.ref: i for i in reversed(given) if i.ref not in routed}  # the first of each ref wins
    held = _texts_with_items(session, [i.text for i in fresh.values()])
    for ref in refs:  # the first of each text wins; a text already an item is not routed again
        if (i := fresh.get(ref)) is not None:
            if clean_text(i.text) in held:
                del fresh[ref]
            held.add(clean_text(i.text))
    rows = [
        Item(
            external_id=i.ref,
            text=i.text,
            source_key=f"{FEEDBACK}:{i.origin}:{i.ref}",
            source_kind="dataset",
            model=i.model,
            run=i.run,
            suggestion_label=(label := fitting(schema, i.suggestion)),
            suggestion_confidence=i.confidence if label is not None else None,
            suggestion_agent=f"{FEEDBACK}:{i.origin}" if label is not None else None,
            suggestion_model=i.model if label is not None else None,
        )
        for ref in refs
        if (i := fresh.get(ref)) is not None
    ]
    return _add_new(session, rows, schema, overlap, by, source="feedback")


def _texts_with_items(session: Session, texts: list[str]) -> set[str]:
    """The texts among `texts` (as `clean_text` writes them) that some item already holds."""
    wanted = list(dict.fromkeys([*texts, *(clean_text(t) for t in texts)]))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # bounded IN lists
        query = select(Item.text).where(Item.text.in_(wanted[start : start + 500]))
        found |= {clean_text(text) for text in session.scalars(query)}
    return found


def routed_refs(session: Session, refs: Iterable[str]) -> set[str]:
    """The references among `refs` already routed from the model's use, under any origin."""
    wanted, routed = list(dict.fromkeys(refs)), set()
    for start in range(0, len(wanted), 500):  # bounded IN lists
        chunk = wanted[start : start + 500]
        query = select(Item.external_id).where(
            Item.source_key.startswith(f"{FEEDBACK}:"), Item.external_id.in_(chunk)
        )
        routed |= {ref for ref in session.scalars(query) if ref is not None}
    return routed


def fitting(schema: LabelSchema, label: Any) -> Any:
    """A suggestion in its stored form, or None where it does not fit the schema (a correction
    that names no label, a set beyond the bounds): the item is still routed, without it."""
    if label is None:
        return None
    try:
        return check_label(schema, label)
    except InvalidLabel:
        return None


def import_external_items(
    session: Session,
    items: Iterable[ExternalItem],
    schema: LabelSchema,
    *,
    by: User | None = None,
    source: str = "external",
) -> list[Item]:
    """Add items from another tool (as `dataset` rows without a DatasetVersion), once per key, in
    the order given (the claim queue is oldest first)."""
    rows = []
    for ext in items:
        _check_overlap(ext.overlap)
        rows.append(
            Item(
                external_id=ext.key,
                text=ext.text,
                source_key=ext.key,
                source_kind="dataset",
                overlap=ext.overlap,
            )
        )
    return _add_new(session, rows, schema, None, by, source=source)


def _check_overlap(overlap: int) -> None:
    if overlap < 2:
        raise StoreError(
            f"overlap must be >= 2 (every item is annotated by at least two people), not {overlap}"
        )


def _add_new(
    session: Session,
    items: list[Item],
    schema: LabelSchema,
    overlap: int | None,
    by: User | None,
    source: str,
) -> list[Item]:
    """Add the items whose source key is new; `overlap` None keeps each item's own."""
    if overlap is not None:
        _check_overlap(overlap)
    keys = [item.source_key for item in items]
    existing: set[str] = set()
    for start in range(0, len(keys), 500):  # bounded IN lists
        existing |= set(
            session.scalars(select(Item.source_key).where(Item.source_key.in_(keys[start : start + 500])))
        )
    new = [item for item in items if item.source_key not in existing]
    for item in new:
        item.label_schema_id = schema.id
        if overlap is not None:
            item.overlap = overlap
    session.add_all(new)
    session.flush()
    if new:
        audit(
            session,
            by,
            "items.import",
            ("items", source),
            schema=schema.name,
            added=len(new),
            skipped=len(items) - len(new),
        )
    return new


def set_suggestions(
    session: Session, suggestions: Mapping[int, tuple[Any, float | None]], *, by: User | None = None
) -> int:
    """Store a model's suggestion (label, confidence) per item id, for the human-in-the-loop step;
    each label must fit the item's schema. Returns how many items got one."""
    for item_id, (label, confidence) in suggestions.items():
        item = get(session, Item, item_id)
        if confidence is not None and not 0.0 <= confidence <= 1.0:
            raise StoreError(f"item {item_id}: suggestion confidence {confidence} is not within 0..1")
        item.suggestion_label = check_label(item.label_schema, label)
        item.suggestion_confidence = confidence
    if suggestions:
        audit(session, by, "items.suggest", ("items", "suggestions"), items=len(suggestions))
    return len(suggestions)
