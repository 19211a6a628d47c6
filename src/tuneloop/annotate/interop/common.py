"""What the Label Studio and Argilla importers share: the parsed form of a file, and loading it.

Each format module only reads its file into a `ParsedFile` and writes its own layout on export.
Reading is per record: a task, record or answer that cannot be read is skipped with its number
and the reason (`BadRecord`), and the rest of the file goes on; the file is refused only when it
cannot be read at all, or when none of its records, or none of its answers, can be (`refuse_unread`).
What the format leaves open and the reader decided (tasks numbered by position, answers without
a person, model predictions left out) is said in the report's `notes`.

Loading goes through the store's services, so an import obeys the same rules as people clicking
in the web app:

- an item is keyed by `label-studio:ID` / `argilla:ID`, so importing a file again adds nothing;
- every annotation is a `claim` then a `submit`, so k, "never twice", roles, labels checked
  against the schema, the guideline version and the audit entry all hold;
- a new item's k is raised to the number of people who answered it in the file (a Label Studio
  task annotated by 3 people becomes an item with overlap 3), because dropping real answers to
  fit the default k would bias agreement; an item already in the store keeps its k (k is fixed
  at import, see `Item`), and answers beyond it are reported as skipped;
- the whole load runs in a savepoint: what the store refuses while writing (a person mapped to
  an account that may not annotate, an item already there with another text) refuses the file
  and leaves nothing of it, since it means the file or the mapping is not the one the store holds.

The original annotation's id and time are kept in the audit entry (`annotation.import`), not in
the annotation row, whose `created_at` stays the store's own (history is append-only and
written by the services).
"""

from __future__ import annotations

from collections import Counter
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


class BadRecord(Exception):
    """A task, record or answer that cannot be read: skipped with this reason, the rest read on."""

    def __init__(self, record: str, reason: str) -> None:
        super().__init__(f"{record}: {reason}")
        self.record, self.reason = record, reason


@dataclass(frozen=True)
class Skipped:
    """Something in the file that was not imported, and why."""

    record: str  # e.g. "task 12, annotation 40" or "record 7, response 2"
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """What an import did. Counts are of rows added now: a second import of the same file reports
    zeros and lists the answers it found already there under `already_present`. `notes` say how
    the reader read what the format leaves open (and what it left out as a whole, with counts)."""

    items_added: int
    annotations_added: int
    users_added: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    items_already_present: int = 0
    annotations_already_present: int = 0
    notes: tuple[str, ...] = ()


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
class ParsedFile:
    """What a reader made of a file: the tasks to load, what it skipped and why, its notes."""

    tasks: list[ExternalTask] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bad_records: list[Skipped] = field(default_factory=list)
    bad_answers: list[Skipped] = field(default_factory=list)

    def skip(self, record: str, reason: str) -> None:
        self.skipped.append(Skipped(record, reason))

    def bad_record(self, bad: BadRecord) -> None:
        self.bad_records.append(Skipped(bad.record, bad.reason))
        self.skipped.append(self.bad_records[-1])

    def bad_answer(self, bad: BadRecord) -> None:
        self.bad_answers.append(Skipped(bad.record, bad.reason))
        self.skipped.append(self.bad_answers[-1])

    def answers(self) -> int:
        return sum(len(task.answers) for task in self.tasks)


def refuse_unread(path: Path, parsed: ParsedFile, records: int, kind: str, answer_kind: str) -> None:
    """Refuse the file when it has records but none could be read, or answers but none could be
    read: importing the rest would be importing nothing of what the file says."""
    if records and not parsed.tasks:
        raise fail(path, "file", f"{_unread(records, kind)}: {_first(parsed.bad_records)}")
    if parsed.bad_answers and not parsed.answers():
        bad = parsed.bad_answers
        raise fail(path, "file", f"{_unread(len(bad), answer_kind)}: {_first(bad)}")


def _unread(count: int, noun: str) -> str:
    return f"its one {noun} could not be read" if count == 1 else f"none of its {count} {noun}s could be read"


def _first(bad: Sequence[Skipped], shown: int = 3) -> str:
    listed = "; ".join(f"{x.record}: {x.reason}" for x in bad[:shown])
    return listed + (f"; and {len(bad) - shown} more" if len(bad) > shown else "")


def plural(count: int, noun: str) -> str:
    """`plural(1, "task")` is "1 task", `plural(3, "task")` "3 tasks"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def counted(counts: Counter[str]) -> str:
    """`Counter({"v1": 3, "v2": 1})` as "v1 (3), v2 (1)", the most frequent first."""
    return ", ".join(f"{name} ({n})" for name, n in counts.most_common())


def checked_label(record: str, schema: LabelSchema, label: Any, text: str | None = None) -> Any:
    """The label as the store keeps it (a fields record checked against `text`, the item's), or
    `BadRecord` saying why it does not fit."""
    try:
        return check_label(schema, label, text)
    except InvalidLabel as exc:
        raise BadRecord(record, f"label {label!r} does not fit schema {schema.name!r}: {exc}") from None


def keep_latest_per_user(task: ExternalTask, skipped: list[Skipped]) -> None:
    """The store holds one answer per person per item: keep each person's last one in the file."""
    latest: dict[str, ExternalAnswer] = {}
    for answer in task.answers:
        earlier = latest.get(answer.user)
        if earlier is not None:
            skipped.append(Skipped(earlier.record, f"{answer.user} answered again later ({answer.record})"))
        latest[answer.user] = answer
    task.answers = list(latest.values())


@dataclass
class _Tally:
    items_added: int = 0
    items_present: int = 0
    annotations_added: int = 0
    annotations_present: int = 0
    users_added: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def load(
    session: Session,
    path: Path,
    parsed: ParsedFile,
    schema: LabelSchema,
    *,
    overlap: int,
    source: str,
    by: User | None = None,
) -> ImportReport:
    """Write parsed tasks to the store through its services, all or nothing."""
    tasks = parsed.tasks
    tally = _Tally(skipped=list(parsed.skipped))
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
        notes=tuple(parsed.notes),
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
