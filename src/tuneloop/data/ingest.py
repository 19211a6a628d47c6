"""Ingest: read CSV, JSONL, JSON and Parquet files of tabular, OpenAI chat, Alpaca or ShareGPT rows
into canonical examples (docs/formats.md).

Each reader (data/readers.py) yields `(line, raw_text, value)` records; one mapper turns a record,
by its shape (data/row_shapes.py), into an `Example` or a quarantined row with a finding.
Preference rows (data/preference.py) are read and checked, then kept out of the examples (a
preference phase reads them from the quarantine).
A row-level problem never stops the run. A problem with the whole file (it cannot be opened, it is
no JSON layout, a mapped column is missing from the header) is a `TuneloopError` that names the
file (and the column), because every row would fail the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneloop.data.chat_rows import ChatRow, read_chat_row
from tuneloop.data.example import Example, build_messages
from tuneloop.data.findings import Finding, QuarantinedRow
from tuneloop.data.label_sets import label_set
from tuneloop.data.preference import NOT_TRAINED, not_trained, preference_of, refusal
from tuneloop.data.readers import jsonl_records, records
from tuneloop.data.row_problem import RowProblem
from tuneloop.data.row_shapes import KNOWN_KEYS, alpaca_messages, row_shape, sharegpt_chat, unknown_keys
from tuneloop.errors import TuneloopError
from tuneloop.extract.rows import extraction_answer
from tuneloop.label_text import canonical_answer
from tuneloop.spec import Source
from tuneloop.task_card import TaskCard

# Keys OpenAI's chat fine-tuning format and tuneloop's canonical rows use; anything else is a typo or
# a field the trainer will ignore, which a person should know about (a warning, the row is kept).
CHAT_KEYS = frozenset(
    {"messages", "id", "label", "slices", "meta", "metadata", "source", "tools", "functions",
     "parallel_tool_calls"}
)  # fmt: skip
MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "weight", "loss_weight", "tool_calls", "tool_call_id", "function_call",
     "refusal"}
)  # fmt: skip


@dataclass
class IngestResult:
    examples: list[Example] = field(default_factory=list)
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    read: int = 0
    notes: list[Finding] = field(default_factory=list)  # warnings about rows that were kept

    @property
    def findings(self) -> list[Finding]:
        return [q.finding for q in self.quarantined] + self.notes

    def extend(self, other: IngestResult) -> None:
        self.examples.extend(other.examples)
        self.quarantined.extend(other.quarantined)
        self.notes.extend(other.notes)
        self.read += other.read


def ingest_sources(
    sources: list[Source], card: TaskCard, root: Path, preferences_trained: bool = False
) -> IngestResult:
    result = IngestResult()
    for source in sources:
        result.extend(ingest_source(source, card, root, preferences_trained))
    return result


def ingest_source(
    source: Source, card: TaskCard, root: Path, preferences_trained: bool = False
) -> IngestResult:
    """Read one source file; every row ends up either in `examples` or in `quarantined`.

    `card` gives the task rules (label set, system prompt); `root` shortens file names in findings.
    A file of preference rows is refused unless `preferences_trained` (a preference phase trains
    the data's preference rows, from the quarantine).
    """
    result = IngestResult()
    for item, notes in iter_source(source, card, root):
        result.read += 1
        if isinstance(item, QuarantinedRow):
            result.quarantined.append(item)
        else:
            result.examples.append(item)
        result.notes.extend(notes)
    held = [q.finding for q in result.quarantined if q.finding.code == NOT_TRAINED]
    if held and not preferences_trained:
        raise TuneloopError(refusal(source.path, len(held), result.read, held[0].line))
    return result


def iter_source(
    source: Source, card: TaskCard, root: Path, lines: Iterable[tuple[int, bytes]] | None = None
) -> Iterator[tuple[Example | QuarantinedRow, list[Finding]]]:
    """Row by row, so a checker can stream a file larger than memory: each row read is yielded
    once, as an example or a quarantined row, with warnings about it (a kept row can have some).

    `lines`: numbered, non-blank lines of a JSONL source already read by the caller (a worker
    process checks its share of a file this way); by default the file is read here."""
    name = _display_name(source.path, root)
    known = CHAT_KEYS | set(source.fields.slices)
    read = 0
    rows = records(source) if lines is None else jsonl_records(lines)
    for line, raw, value in rows:
        read += 1
        try:
            if isinstance(value, RowProblem):
                raise value
            shape = _shape(value, source, card)
            example = _to_example(value, shape, source, card, f"{name}:{line}")
        except RowProblem as problem:
            finding = Finding(problem.code, "error", name, line, problem.message, fix=problem.fix)
            yield QuarantinedRow(finding, raw), []
        else:
            if shape == "chat":
                yield example, _unrecognised_keys(value, known, name, line, example.id)
            else:
                yield example, _shape_notes(value, shape, source, (name, line), example.id)
    if read == 0 and lines is None:
        raise TuneloopError(f"{source.path}: no rows to read (the file is empty or holds only a header)")


def _unrecognised_keys(
    row: dict[str, Any], known: frozenset[str], name: str, line: int, row_id: str
) -> list[Finding]:
    if known.issuperset(row) and all(MESSAGE_KEYS.issuperset(m) for m in row["messages"]):
        return []  # the common case, without building anything
    where = [(key, "") for key in row if key not in known]
    for i, message in enumerate(row["messages"]):
        where += [(key, f"messages[{i}].") for key in message if key not in MESSAGE_KEYS]
    return [
        Finding(
            "unrecognised_key",
            "warning",
            name,
            line,
            f"{prefix}{key!r} is not a key of the chat format; training ignores it",
            fix="remove it, or fix its spelling",
            row_id=row_id,
        )
        for key, prefix in where
    ]


def _shape_notes(
    row: dict[str, Any], shape: str, source: Source, where: tuple[str, int], row_id: str
) -> list[Finding]:
    """Warnings for the keys of an Alpaca or ShareGPT row that its format does not know."""
    if shape not in KNOWN_KEYS:
        return []
    return [
        Finding(
            "unrecognised_key",
            "warning",
            *where,
            f"{key} is not a key of the {shape} format; training ignores it",
            fix="remove it, or fix its spelling",
            row_id=row_id,
        )
        for key in unknown_keys(row, shape, source.fields.slices)
    ]


def _display_name(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _shape(value: Any, source: Source, card: TaskCard) -> str:
    if not isinstance(value, dict):
        raise RowProblem("not_an_object", f"expected a JSON object, found {type(value).__name__}")
    if card.task == "text":  # unlabeled domain text: its text field, whatever else the row holds
        return "tabular"
    return row_shape(value, source.format, source.fields.text)


def _to_example(value: dict[str, Any], shape: str, source: Source, card: TaskCard, where: str) -> Example:
    """One record as an Example. A multilabel row's set (data/label_sets.py) comes from its label
    cell, or from a conversation's final answer; its answer becomes the canonical list. An extract
    row's record (extract/rows.py) likewise becomes the canonical JSON answer."""
    tools: list[dict[str, Any]] = []
    label: Any
    if shape == "preference":
        raise not_trained(preference_of(value, card.system))
    if shape in ("chat", "sharegpt"):
        chat = _chat_messages(value, card) if shape == "chat" else sharegpt_chat(value, card.system)
        messages, label, tools = chat.messages, chat.label, chat.tools
    elif shape == "alpaca":
        messages = alpaca_messages(value, card.system)
        label = messages[-1]["content"]
    elif card.task in ("multilabel", "extract"):  # a set or a record: not a string cell alone
        text = _required_str(value, source.fields.text, "text")
        messages = build_messages(text, "", card.system)
        label = value.get(source.fields.label) if source.fields.label else None
    else:
        text = _required_str(value, source.fields.text, "text")
        label = _required_str(value, source.fields.label, "label") if source.fields.label else None
        messages = build_messages(text, label, card.system)
    labels: tuple[str, ...] | None = None
    if card.task == "classify":
        label = _checked_label(label, card)
    elif card.task == "multilabel":  # one form: the answer is rewritten as the canonical list
        labels = label_set(label, card, source.fields.label_delimiter)
        label = canonical_answer(labels)
        messages = [*messages[:-1], {**messages[-1], "content": label}]
    elif card.task == "extract":  # one form: the canonical JSON record (extract/rows.py)
        user = next(m["content"] for m in reversed(messages) if m["role"] == "user")
        label = extraction_answer(label, user, card.fields)
        messages = [*messages[:-1], {**messages[-1], "content": label}]
    slices = {name: str(value[name]) for name in source.fields.slices if value.get(name) not in (None, "")}
    return Example(messages=messages, label=label, source=where, slices=slices, tools=tools, labels=labels)


def _required_str(row: dict[str, Any], key: str, role: str) -> str:
    if key not in row or row[key] is None:
        raise RowProblem("missing_field", f"the {role} field {key!r} is missing")
    value = row[key]
    if not isinstance(value, str):
        raise RowProblem(
            "wrong_type", f"the {role} field {key!r} must be a string, found {type(value).__name__}"
        )
    value = value.strip()
    if not value:
        raise RowProblem("empty_text", f"the {role} field {key!r} is empty")
    return value


def _chat_messages(row: dict[str, Any], card: TaskCard) -> ChatRow:
    """An OpenAI chat row (`chat_rows.py`), the task's system prompt first if it has none."""
    return read_chat_row(row, card.system)


def _checked_label(label: str | None, card: TaskCard) -> str:
    if label is None:
        raise RowProblem("missing_field", "a classify task needs a label on every row")
    if label not in card.labels:
        raise RowProblem(
            "unknown_label",
            f"label {label!r} is not in the spec's labels",
            "fix the label or add it to labels: in tuneloop.yaml",
        )
    return label
