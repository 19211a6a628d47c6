"""File readers: each turns one source file into `(line, raw_text, value)` records for ingest.

- CSV, streamed: a row's line is where it starts, its raw text the lines it spans.
- JSONL, streamed: one record per non-blank line.
- JSON (`.json`): a JSON array of records, each at the line where it starts; a `.json` file that
  is JSON Lines is read as JSONL; anything else is one error naming the file. The file is read
  whole (use JSONL for files larger than memory).
- Parquet: a row's line is its row number.

A value that is a `RowProblem` stands for a record that could not be read (bad JSON, bad UTF-8, a
broken CSV row); a problem with the whole file is a `TuneloopError`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from tuneloop.data.row_problem import RowProblem
from tuneloop.data.row_shapes import row_shape
from tuneloop.errors import TuneloopError, some_of
from tuneloop.spec import Source
from tuneloop.spec.data import CONVERSATION_FORMATS

Record = tuple[int, str, Any]  # (line, raw text, parsed value or RowProblem)
_SUFFIX_CONTAINERS = {".csv": "csv", ".parquet": "parquet", ".json": "json"}


def container_of(source: Source) -> str:
    """How the file is laid out: csv, parquet, json (an array, or JSONL) or jsonl. A row format
    (chat, alpaca, sharegpt) is read from the layout its extension names; JSONL by default."""
    if source.format not in CONVERSATION_FORMATS:
        return source.format or "jsonl"
    return _SUFFIX_CONTAINERS.get(source.path.suffix.lower(), "jsonl")


def records(source: Source) -> Iterator[Record]:
    readers = {
        "csv": _csv_records,
        "jsonl": _jsonl_records,
        "json": _json_records,
        "parquet": _parquet_records,
    }
    try:
        yield from readers[container_of(source)](source)
    except OSError as exc:
        raise TuneloopError(f"{source.path}: cannot read ({exc.strerror or exc})") from None


def first_objects(source: Source, count: int = 100) -> list[dict[str, Any]]:
    """The objects among the first `count` records: enough to tell what rows a file holds."""
    return [value for _, _, value in islice(records(source), count) if isinstance(value, dict)]


def _csv_records(source: Source) -> Iterator[Record]:
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
        missing = _missing_columns(source, header)
        if missing:
            raise TuneloopError(
                f"{source.path}: column {missing[0]!r} (from the spec's fields:) is not in the CSV header "
                f"(columns: {some_of(header)})"
            )
        pending.clear()
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, _raw(pending), RowProblem("unreadable_csv", f"not CSV: {exc}")
                continue
            if not cells:  # a blank line is not a row
                pending.clear()
                continue
            raw = _raw(pending)
            yield start, raw, _csv_value(cells, header, start, reader.line_num, raw)


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


def _csv_value(cells: list[str], header: list[str], start: int, end: int, raw: str) -> Any:
    if any(_has_surrogates(c) for c in cells):
        return RowProblem("invalid_utf8", "the line is not valid UTF-8", "re-encode the file as UTF-8")
    if end > start and raw.count('"') % 2:  # a quote never closed swallows lines, up to the end
        return RowProblem(
            "unterminated_quote",
            f"a quote opened on line {start} is never closed: lines {start}-{end} were read as one row",
            "close the quote, or double a quote inside a quoted field",
        )
    if len(cells) == len(header):
        return dict(zip(header, cells, strict=True))
    if end > start:
        return RowProblem(
            "unterminated_quote",
            f"a quote opened on line {start} is not closed where expected: lines {start}-{end} were read "
            f"as one row of {len(cells)} columns instead of {len(header)}",
            "close the quote, or double a quote inside a quoted field",
        )
    return RowProblem(
        "wrong_column_count",
        f"expected {len(header)} columns, found {len(cells)}",
        "quote fields that contain commas",
    )


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _jsonl_records(source: Source) -> Iterator[Record]:
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


def jsonl_records(lines: Iterable[tuple[int, bytes]]) -> Iterator[Record]:
    for number, line_bytes in lines:
        try:
            raw = line_bytes.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            yield (
                number,
                line_bytes.decode("utf-8", errors="replace").rstrip("\r\n"),
                RowProblem(
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
                RowProblem("invalid_json", f"invalid JSON: {exc.msg} at column {exc.colno}"),
            )


def _json_records(source: Source) -> Iterator[Record]:
    """A JSON array's records at the lines where they start, or the file's JSONL records."""
    body = source.path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    if not body.strip():
        return
    try:
        whole = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if not _starts_as_jsonl(body):
            reason = _bad_utf8(body) or f"invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
            raise TuneloopError(
                f"{source.path}: neither a JSON array of records nor JSON Lines: {reason}"
            ) from None
        whole = None
    if isinstance(whole, list):
        yield from _array_records(body, whole)
    elif whole is None or (isinstance(whole, dict) and len(body.strip().splitlines()) == 1):
        yield from jsonl_records(numbered_lines(body.splitlines()))
    else:
        raise TuneloopError(f"{source.path}: neither a JSON array of records nor JSON Lines: {_what(whole)}")


def _starts_as_jsonl(body: bytes) -> bool:
    first = next(line for line in body.splitlines() if line.strip())
    try:
        return isinstance(orjson.loads(first), dict)
    except orjson.JSONDecodeError:
        return False


def _bad_utf8(body: bytes) -> str | None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        return f"line {line} is not valid UTF-8 (byte {exc.start}); re-encode the file as UTF-8"
    return None


def _what(value: Any) -> str:
    if not isinstance(value, dict):
        return f"the file holds one {type(value).__name__}, not a list of records"
    keys = ", ".join(list(value)[:8])
    if "text" in value or row_shape(value, None, "text") != "tabular":
        return (
            f"the file holds one record (keys: {keys}) over several lines; write one record a line, or a list"
        )
    lists = [key for key, item in value.items() if isinstance(item, list)]
    hint = f"; are the records under {lists[0]!r}? Save that list as the file" if lists else ""
    return f"the file holds one object (keys: {keys}), not a list of records{hint}"


# Outside strings only brackets, braces and commas matter to find where each record starts.
_STRUCTURE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.DOTALL)


def _array_records(body: bytes, values: list[Any]) -> Iterator[Record]:
    """Each element with the line it starts on; if elements share lines (an array written on one
    line), their record numbers (1 = the first) instead, so every row still has its own place."""
    raws, lines, line, offset = [], [], 1, 0
    for start, end in _element_spans(body):  # one span per element: `body` parsed as this array
        segment = body[start:end]
        at = start + len(segment) - len(segment.lstrip())
        line += body.count(b"\n", offset, at)
        offset = at
        lines.append(line)
        raws.append(segment.strip().decode("utf-8", errors="replace"))
    if len(set(lines)) < len(lines):
        lines = list(range(1, len(values) + 1))
    yield from zip(lines, raws, values, strict=True)


def _element_spans(body: bytes) -> list[tuple[int, int]]:
    """(start, end) byte offsets of each element of the top-level array of a valid JSON document."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for match in _STRUCTURE.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth == 1:
                start = match.end()
        elif token in (b"]", b"}"):
            depth -= 1
            if depth == 0:
                if body[start : match.start()].strip():
                    spans.append((start, match.start()))
                break
        elif token == b"," and depth == 1:
            spans.append((start, match.start()))
            start = match.end()
    return spans


def parquet_columns(path: Path) -> list[str]:
    """The column names of a Parquet file; an empty, damaged or mis-named file is a `TuneloopError`."""
    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise TuneloopError(f"{path}: not a readable Parquet file ({exc})") from None


def _parquet_records(source: Source) -> Iterator[Record]:
    missing = _missing_columns(source, parquet_columns(source.path))
    try:
        table = pq.read_table(source.path)
    except Exception as exc:  # a footer that reads, and row groups that do not
        raise TuneloopError(f"{source.path}: not a readable Parquet file ({exc})") from None
    if missing:
        raise TuneloopError(
            f"{source.path}: column {missing[0]!r} (from the spec's fields:) is not in the Parquet file "
            f"(columns: {some_of(table.column_names)})"
        )
    for number, row in enumerate(table.to_pylist(), start=1):
        yield number, orjson.dumps(row, default=str).decode(), row


def _missing_columns(source: Source, header: list[str]) -> list[str]:
    """The spec's mapped columns the header lacks; none when its columns are of a row shape
    (Alpaca's instruction and output, say): then each row's keys say what it is."""
    if row_shape(dict.fromkeys(header), source.format, source.fields.text) != "tabular":
        return []
    columns = [source.fields.text, *source.fields.slices]
    mapped = columns + ([source.fields.label] if source.fields.label else [])
    return [column for column in mapped if column not in header]
