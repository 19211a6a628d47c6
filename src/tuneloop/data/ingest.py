"""Ingest: read CSV, JSONL, Parquet and OpenAI chat JSONL into canonical examples.

Each reader yields `(line, raw_text, value)` records; one mapper turns a record into an `Example`
or a quarantined row with a finding. A row-level problem never stops the run. A problem with the
whole file (it cannot be opened, a mapped column is missing from the header) is a `TuneloopError`
that names the file and the column, because every row would fail the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from tuneloop.data.example import Example, build_messages
from tuneloop.data.findings import Finding, QuarantinedRow
from tuneloop.errors import TuneloopError
from tuneloop.spec import Source
from tuneloop.task_card import TaskCard

ROLES = ("system", "user", "assistant")


# Keys OpenAI's chat fine-tuning format and tuneloop's canonical rows use; anything else is a typo or
# a field the trainer will ignore, which a person should know about (a warning, the row is kept).
CHAT_KEYS = frozenset(
    {"messages", "id", "label", "slices", "meta", "metadata", "source", "tools", "functions",
     "parallel_tool_calls"}
)  # fmt: skip
MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
)


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


class _RowProblem(Exception):
    """Raised inside the mapper; becomes a quarantined row."""

    def __init__(self, code: str, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.fix = code, message, fix


def ingest_sources(sources: list[Source], card: TaskCard, root: Path) -> IngestResult:
    result = IngestResult()
    for source in sources:
        result.extend(ingest_source(source, card, root))
    return result


def ingest_source(source: Source, card: TaskCard, root: Path) -> IngestResult:
    """Read one source file; every row ends up either in `examples` or in `quarantined`.

    `card` gives the task rules (label set, system prompt); `root` shortens file names in findings.
    """
    result = IngestResult()
    for item, notes in iter_source(source, card, root):
        result.read += 1
        if isinstance(item, QuarantinedRow):
            result.quarantined.append(item)
        else:
            result.examples.append(item)
        result.notes.extend(notes)
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
    records = _records(source) if lines is None else jsonl_records(lines)
    for line, raw, value in records:
        read += 1
        try:
            if isinstance(value, _RowProblem):
                raise value
            example = _to_example(value, source, card, f"{name}:{line}")
        except _RowProblem as problem:
            finding = Finding(problem.code, "error", name, line, problem.message, fix=problem.fix)
            yield QuarantinedRow(finding, raw), []
        else:
            notes = (
                _unrecognised_keys(value, known, name, line, example.id) if source.format == "chat" else []
            )
            yield example, notes
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


def _display_name(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _records(source: Source) -> Iterator[tuple[int, str, Any]]:
    readers = {
        "csv": _csv_records,
        "jsonl": _jsonl_records,
        "chat": _jsonl_records,
        "parquet": _parquet_records,
    }
    try:
        yield from readers[source.format or "jsonl"](source)
    except OSError as exc:
        raise TuneloopError(f"{source.path}: cannot read ({exc.strerror or exc})") from None


def _csv_records(source: Source) -> Iterator[tuple[int, str, Any]]:
    """Rows as the csv module reads them, streamed: only the lines of the current row are held."""
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    with source.path.open("rb") as fh:
        # Undecodable bytes become surrogates so one bad line is flagged without losing the file.
        text = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
        pending: list[str] = []  # the raw lines of the row being read
        reader = csv.reader(_remembered(text, pending))
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            return
        missing = [c for c in _mapped_columns(source) if c not in header]
        if missing:
            raise TuneloopError(
                f"{source.path}: column {missing[0]!r} (from the spec's fields:) is not in the CSV header "
                f"(columns: {', '.join(header)})"
            )
        pending.clear()
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, _raw(pending), _RowProblem("unreadable_csv", f"not CSV: {exc}")
                continue
            if not cells:  # a blank line is not a row
                pending.clear()
                continue
            yield start, _raw(pending), _csv_value(cells, header, start, reader.line_num)


def _remembered(lines: Iterable[str], pending: list[str]) -> Iterator[str]:
    """Hand each line to the csv reader and keep it (without its line end) for the row's raw text."""
    for number, line in enumerate(lines):
        if number == 0:
            line = line.removeprefix("\ufeff")
        pending.append(line.rstrip("\r\n"))
        yield line


_CSV_FIELD_LIMIT = 64 * 1024 * 1024  # long texts are a length finding for later checks, not a crash


def _raw(pending: list[str]) -> str:
    """The row's raw lines as text (bad bytes shown as U+FFFD), then forgotten."""
    raw = "\n".join(pending)
    pending.clear()
    return raw.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def _csv_value(cells: list[str], header: list[str], start: int, end: int) -> Any:
    if any(_has_surrogates(c) for c in cells):
        return _RowProblem("invalid_utf8", "the line is not valid UTF-8", "re-encode the file as UTF-8")
    if len(cells) == len(header):
        return dict(zip(header, cells, strict=True))
    if end > start:
        return _RowProblem(
            "unterminated_quote",
            f"a quote opened on line {start} is not closed where expected: lines {start}-{end} were read "
            f"as one row of {len(cells)} columns instead of {len(header)}",
            "close the quote, or double a quote inside a quoted field",
        )
    return _RowProblem(
        "wrong_column_count",
        f"expected {len(header)} columns, found {len(cells)}",
        "quote fields that contain commas",
    )


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _jsonl_records(source: Source) -> Iterator[tuple[int, str, Any]]:
    with source.path.open("rb") as fh:
        yield from jsonl_records(numbered_lines(fh))


def numbered_lines(lines: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, bytes) of each non-blank line; a UTF-8 byte-order mark is dropped."""
    for number, line_bytes in enumerate(lines, start=1):
        if not line_bytes.strip():
            continue
        if number == 1:
            line_bytes = line_bytes.removeprefix(b"\xef\xbb\xbf")
        yield number, line_bytes


def jsonl_records(lines: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, str, Any]]:
    for number, line_bytes in lines:
        try:
            raw = line_bytes.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            yield (
                number,
                line_bytes.decode("utf-8", errors="replace").rstrip("\r\n"),
                _RowProblem(
                    "invalid_utf8",
                    f"the line is not valid UTF-8 (byte {exc.start})",
                    "re-encode the file as UTF-8",
                ),
            )
            continue
        try:
            yield number, raw, orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield (
                number,
                raw,
                _RowProblem("invalid_json", f"invalid JSON: {exc.msg} at column {exc.colno}"),
            )


def _parquet_records(source: Source) -> Iterator[tuple[int, str, Any]]:
    try:
        table = pq.read_table(source.path)
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise TuneloopError(f"{source.path}: not a readable Parquet file ({exc})") from None
    missing = [c for c in _mapped_columns(source) if c not in table.column_names]
    if missing:
        raise TuneloopError(
            f"{source.path}: column {missing[0]!r} (from the spec's fields:) is not in the Parquet file "
            f"(columns: {', '.join(table.column_names)})"
        )
    for number, row in enumerate(table.to_pylist(), start=1):
        yield number, orjson.dumps(row, default=str).decode(), row


def _mapped_columns(source: Source) -> list[str]:
    if source.format == "chat":
        return []
    columns = [source.fields.text, *source.fields.slices]
    return columns + ([source.fields.label] if source.fields.label else [])


def _to_example(value: Any, source: Source, card: TaskCard, where: str) -> Example:
    if not isinstance(value, dict):
        raise _RowProblem("not_an_object", f"expected a JSON object, found {type(value).__name__}")
    if source.format == "chat":
        messages, label = _chat_messages(value, card)
    else:
        text = _required_str(value, source.fields.text, "text")
        label = _required_str(value, source.fields.label, "label") if source.fields.label else None
        messages = build_messages(text, label, card.system)
    if card.task == "classify":
        label = _checked_label(label, card)
    slices = {name: str(value[name]) for name in source.fields.slices if value.get(name) not in (None, "")}
    return Example(messages=messages, label=label, source=where, slices=slices)


def _required_str(row: dict[str, Any], key: str, role: str) -> str:
    if key not in row or row[key] is None:
        raise _RowProblem("missing_field", f"the {role} field {key!r} is missing")
    value = row[key]
    if not isinstance(value, str):
        raise _RowProblem(
            "wrong_type", f"the {role} field {key!r} must be a string, found {type(value).__name__}"
        )
    value = value.strip()
    if not value:
        raise _RowProblem("empty_text", f"the {role} field {key!r} is empty")
    return value


def _chat_messages(row: dict[str, Any], card: TaskCard) -> tuple[list[dict[str, str]], str | None]:
    messages = row.get("messages")
    if messages is None:
        raise _RowProblem("missing_field", "the field 'messages' is missing")
    if not isinstance(messages, list) or not messages:
        raise _RowProblem("wrong_type", "'messages' must be a non-empty list of {role, content} objects")
    clean = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _RowProblem("wrong_type", f"messages[{i}] must be an object")
        role, content = message.get("role"), message.get("content")
        for key in ("role", "content"):
            if key not in message:
                raise _RowProblem("missing_field", f"messages[{i}] has no {key!r}")
        if role not in ROLES:
            raise _RowProblem(
                "unknown_role", f"messages[{i}].role must be one of {', '.join(ROLES)}, found {role!r}"
            )
        if not isinstance(content, str):
            raise _RowProblem("wrong_type", f"messages[{i}].content must be a string")
        if not content.strip():
            raise _RowProblem("empty_text", f"messages[{i}].content is empty")
        clean.append({"role": role, "content": content.strip()})
    if not any(m["role"] == "user" for m in clean):
        raise _RowProblem("no_user_message", "the conversation has no user message")
    if clean[-1]["role"] != "assistant":
        raise _RowProblem("no_assistant_message", "the conversation does not end with an assistant answer")
    if card.system and clean[0]["role"] != "system":
        clean.insert(0, {"role": "system", "content": card.system})
    return clean, clean[-1]["content"]


def _checked_label(label: str | None, card: TaskCard) -> str:
    if label is None:
        raise _RowProblem("missing_field", "a classify task needs a label on every row")
    if label not in card.labels:
        raise _RowProblem(
            "unknown_label",
            f"label {label!r} is not in the spec's labels",
            "fix the label or add it to labels: in tuneloop.yaml",
        )
    return label
