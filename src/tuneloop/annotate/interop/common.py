"""What the Label Studio and Argilla importers share: the parsed form of a file, and loading it.

Each format module only reads its file into `ExternalTask`s (validating as it goes, so a bad
record fails before anything is written) and writes its own layout on export. Loading goes through
the store's services, so an import obeys the same rules as people clicking in the web app:

- an item is keyed by `label-studio:ID` / `argilla:ID`, so importing a file again adds nothing;
- every annotation is a `claim` then a `submit`, so k, "never twice", roles, labels checked
  against the schema, the guideline version and the audit entry all hold;
- a new item's k is raised to the number of people who answered it in the file (a Label Studio
  task annotated by 3 people becomes an item with overlap 3), because dropping real answers to
  fit the default k would bias agreement; an item already in the store keeps its k (k is fixed
  at import, see `Item`), and answers beyond it are reported as skipped;
- the whole load runs in a savepoint: a record that fails part-way leaves nothing of the file.

The original annotation's id and time are kept in the audit entry (`annotation.import`), not in
the annotation row, whose `created_at` stays the store's own (history is append-only and
written by the services).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.store import ExternalItem, StoreError, claim, import_external_items, submit
from tuneloop.annotate.store.errors import InvalidLabel
from tuneloop.annotate.store.labels import check_label, same_label
from tuneloop.annotate.store.models import Adjudication, Annotation, Item, LabelSchema, User
from tuneloop.annotate.store.repository import audit
from tuneloop.annotate.store.users import CAN_ANNOTATE, add_user
from tuneloop.errors import TuneloopError


class InteropError(TuneloopError):
    """A file from (or for) another annotation tool that can't be read faithfully."""


def fail(path: Path, record: str, problem: str) -> InteropError:
    """The error every importer raises: the file, the record in it, what is wrong."""
    return InteropError(f"{path}: {record}: {problem}")


@dataclass(frozen=True)
class Skipped:
    """Something in the file that was deliberately not imported, and why."""

    record: str  # e.g. "task 12, annotation 40" or "record 7, response 2"
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """What an import did. Counts are of rows added now: a second import of the same file reports
    zeros and lists the answers it found already there under `already_present`."""

    items_added: int
    annotations_added: int
    users_added: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    items_already_present: int = 0
    annotations_already_present: int = 0


@dataclass(frozen=True)
class ExternalAnswer:
    """One person's answer in the file, its label already checked against the schema."""

    record: str
    user: str  # the store user name it maps to
    label: Any
    external_id: str | None = None
    created_at: str | None = None


@dataclass
class ExternalTask:
    record: str
    key: str  # the item's source key and external id
    text: str
    answers: list[ExternalAnswer] = field(default_factory=list)


@dataclass
class _Tally:
    items_added: int = 0
    items_present: int = 0
    annotations_added: int = 0
    annotations_present: int = 0
    users_added: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def checked_label(path: Path, record: str, schema: LabelSchema, label: Any) -> Any:
    try:
        return check_label(schema, label)
    except InvalidLabel as exc:
        raise fail(path, record, f"label {label!r} does not fit schema {schema.name!r}: {exc}") from None


def keep_latest_per_user(task: ExternalTask, skipped: list[Skipped]) -> None:
    """The store holds one answer per person per item: keep each person's last one in the file."""
    latest: dict[str, ExternalAnswer] = {}
    for answer in task.answers:
        earlier = latest.get(answer.user)
        if earlier is not None:
            skipped.append(Skipped(earlier.record, f"{answer.user} answered again later ({answer.record})"))
        latest[answer.user] = answer
    task.answers = list(latest.values())


def load(
    session: Session,
    path: Path,
    tasks: Sequence[ExternalTask],
    schema: LabelSchema,
    *,
    overlap: int,
    source: str,
    skipped: Sequence[Skipped] = (),
    by: User | None = None,
) -> ImportReport:
    """Write parsed tasks to the store through its services, all or nothing."""
    tally = _Tally(skipped=list(skipped))
    with session.begin_nested():
        items = _items(session, path, tasks, schema, overlap, source, by, tally)
        users: dict[str, User] = {}
        for task in tasks:
            for answer in task.answers:
                if answer.user not in users:
                    users[answer.user] = _user(session, path, answer, source, by, tally)
                _answer(session, path, items[task.key], users[answer.user], answer, source, tally)
    return ImportReport(
        items_added=tally.items_added,
        annotations_added=tally.annotations_added,
        users_added=tuple(tally.users_added),
        skipped=tuple(tally.skipped),
        items_already_present=tally.items_present,
        annotations_already_present=tally.annotations_present,
    )


def _items(
    session: Session,
    path: Path,
    tasks: Sequence[ExternalTask],
    schema: LabelSchema,
    overlap: int,
    source: str,
    by: User | None,
    tally: _Tally,
) -> dict[str, Item]:
    keys = [task.key for task in tasks]
    existing = {
        item.source_key: item for item in session.scalars(select(Item).where(Item.source_key.in_(keys)))
    }
    for task in tasks:
        item = existing.get(task.key)
        if item is None:
            continue
        if item.text != task.text:
            raise fail(path, task.record, f"item {task.key} is already in the store with a different text")
        if item.label_schema_id != schema.id:
            raise fail(
                path, task.record, f"item {task.key} is already in the store under another label schema"
            )
    new = [
        ExternalItem(task.key, task.text, max(overlap, len(task.answers)))
        for task in tasks
        if task.key not in existing
    ]
    added = import_external_items(session, new, schema, by=by, source=f"{source}:{path.name}")
    tally.items_added, tally.items_present = len(added), len(tasks) - len(new)
    return existing | {item.source_key: item for item in added}


def _user(
    session: Session, path: Path, answer: ExternalAnswer, source: str, by: User | None, tally: _Tally
) -> User:
    name = answer.user.strip()  # as add_user stores it
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        try:
            user = add_user(session, name, "annotator", by=by)
        except StoreError as exc:
            raise fail(path, answer.record, f"cannot add user {answer.user!r}: {exc}") from None
        audit(session, by, "user.import", user, source=source, file=str(path))
        tally.users_added.append(user.name)
    elif user.role not in CAN_ANNOTATE:
        raise fail(
            path,
            answer.record,
            f"{user.name} is {user.role!r} in the store and may not annotate; map this person to "
            "another name (the importer's `users` argument)",
        )
    return user


def _answer(
    session: Session,
    path: Path,
    item: Item,
    user: User,
    answer: ExternalAnswer,
    source: str,
    tally: _Tally,
) -> None:
    own = session.scalar(
        select(Annotation)
        .where(
            Annotation.item_id == item.id,
            Annotation.annotator_id == user.id,
            Annotation.author_id == user.id,
        )
        .order_by(Annotation.id.desc())
        .limit(1)
    )
    if own is not None and not own.retracted:
        if same_label(own.label, answer.label):
            tally.annotations_present += 1
        else:
            tally.skipped.append(
                Skipped(
                    answer.record,
                    f"{user.name} already answered {own.label!r} for item {item.id}; "
                    "a change goes through review, not an import",
                )
            )
        return
    try:
        claim(session, user, item)
    except StoreError as exc:  # closed, or all k slots taken, or the user skipped it once
        tally.skipped.append(Skipped(answer.record, str(exc)))
        return
    try:
        row = submit(session, user, item, answer.label)
    except StoreError as exc:
        raise fail(path, answer.record, str(exc)) from None
    audit(
        session,
        user,
        "annotation.import",
        row,
        source=source,
        file=str(path),
        record=answer.record,
        external_id=answer.external_id,
        created_at=answer.created_at,
    )
    tally.annotations_added += 1


@dataclass(frozen=True)
class ExportedAnswer:
    annotation_id: int
    user_id: int
    user: str
    label: Any
    created_at: datetime


@dataclass(frozen=True)
class ExportedItem:
    """An item with its annotators' own current answers (by name) and its gold label, if any."""

    item: Item
    answers: tuple[ExportedAnswer, ...]
    gold: Any = None
    adjudicator: str | None = None


def items_for_export(session: Session, schema: LabelSchema | None = None) -> list[ExportedItem]:
    """Every item (of `schema`, if given), by id, with each annotator's own current answer.

    Like `export_records`, a reviewer's correction is not the annotator's answer and is left out;
    the gold label is the adjudicated one.
    """
    query = select(Item).order_by(Item.id)
    if schema is not None:
        query = query.where(Item.label_schema_id == schema.id)
    items = list(session.scalars(query))
    own: dict[int, dict[str, Annotation]] = {}
    rows = session.execute(
        select(Annotation, User.name)
        .join(User, User.id == Annotation.annotator_id)
        .where(Annotation.author_id == Annotation.annotator_id)
        .order_by(Annotation.id)
    )
    for row, name in rows:
        own.setdefault(row.item_id, {})[name] = row  # the newest row of each annotator wins
    decisions = {
        decision.item_id: (decision.label, name)
        for decision, name in session.execute(
            select(Adjudication, User.name).join(User, User.id == Adjudication.adjudicator_id)
        )
    }
    out = []
    for item in items:
        answers = tuple(
            ExportedAnswer(row.id, row.annotator_id, name, row.label, row.created_at)
            for name, row in sorted(own.get(item.id, {}).items())
            if not row.retracted
        )
        gold, adjudicator = decisions.get(item.id, (None, None))
        out.append(ExportedItem(item, answers, gold, adjudicator))
    return out
