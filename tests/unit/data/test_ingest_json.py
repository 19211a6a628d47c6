"""`.json` files: a JSON array of records (each at the line where it starts), JSONL under a `.json`
name, and one clear error for a file that is neither."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tuneloop.data.ingest import IngestResult, ingest_source
from tuneloop.errors import TuneloopError
from tuneloop.spec import FORMATS, FieldMap, Source
from tuneloop.task_card import TaskCard

CARD = TaskCard(task="classify", labels=["card_arrival", "pin_blocked"], system=None)
FIELDS = FieldMap(text="text", label="category")


def _read(path: Path, fmt: str | None = None) -> IngestResult:
    return ingest_source(Source(path=path, format=fmt, fields=FIELDS), CARD, path.parent)  # type: ignore[arg-type]


def test_a_pretty_printed_array_gives_each_record_its_starting_line(tmp_path: Path) -> None:
    rows: list[Any] = [
        {"text": "Where is my card?", "category": "card_arrival"},
        {"text": 'a "quoted" [bracket], {brace} and \\ backslash', "category": "pin_blocked"},
        ["not", "an", "object"],
        {"text": "", "category": "card_arrival"},
        {"text": "My PIN is blocked", "category": "pin_blocked"},
    ]
    path = tmp_path / "d.json"
    path.write_bytes(orjson.dumps(rows, option=orjson.OPT_INDENT_2))
    lines = path.read_text().splitlines()
    starts = [i for i, line in enumerate(lines, start=1) if line in ("  {", "  [")]
    result = _read(path)
    assert result.read == 5
    assert [e.source for e in result.examples] == [f"d.json:{starts[i]}" for i in (0, 1, 4)]
    assert result.examples[1].text == rows[1]["text"]
    assert [(f.line, f.code) for f in result.findings] == [
        (starts[2], "not_an_object"),
        (starts[3], "empty_text"),
    ]
    assert orjson.loads(result.quarantined[0].raw) == ["not", "an", "object"]


def test_records_on_one_line_are_numbered_instead(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(
        b'\xef\xbb\xbf[{"text": "Where is my card?", "category": "card_arrival"}, '
        b'{"text": "x", "category": "nope"}, {"text": "PIN blocked", "category": "pin_blocked"}]'
    )
    result = _read(path)
    assert [e.source for e in result.examples] == ["d.json:1", "d.json:3"]
    assert [(f.line, f.code) for f in result.findings] == [(2, "unknown_label")]


def test_jsonl_under_a_json_name_is_read_as_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(
        b'{"text": "Where is my card?", "category": "card_arrival"}\n{"text": broken\n\n'
        b'{"text": "PIN blocked", "category": "pin_blocked"}\n'
    )
    result = _read(path)
    assert [e.source for e in result.examples] == ["d.json:1", "d.json:4"]
    assert [(f.line, f.code) for f in result.findings] == [(2, "invalid_json")]
    one = tmp_path / "one.json"
    one.write_bytes(b'{"text": "Where is my card?", "category": "card_arrival"}\n')
    assert len(_read(one).examples) == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b'[\n  {"text": "a", "category": "card_arrival"},\n  {"text": "b"\n]\n',
            r"invalid JSON at line 4, column 1",
        ),
        (
            b'{\n  "data": [{"text": "a"}],\n  "version": 2\n}\n',
            r"one object \(keys: data, version\).*'data'",
        ),
        (b'"just a string"', "holds one str"),
        (b"not json at all\n", r"invalid JSON at line 1"),
        (
            b'[\n  {"text": "caf\xe9", "category": "card_arrival"}\n]\n',
            r"line 2 is not valid UTF-8 \(byte 17\)",
        ),
    ],
)
def test_a_json_file_that_is_neither_is_one_error_naming_it(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(content)
    with pytest.raises(
        TuneloopError, match=rf"d\.json: neither a JSON array of records nor JSON Lines: .*{reason}"
    ):
        _read(path)


def test_an_empty_array_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(b"[ ]\n")
    with pytest.raises(TuneloopError, match="no rows to read"):
        _read(path)


def test_a_spec_source_infers_json_and_a_jsonl_format_stays_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(orjson.dumps([{"text": "Where is my card?", "category": "card_arrival"}]))
    assert "json" in FORMATS and Source(path=path).format == "json"
    assert len(_read(path).examples) == 1
    jsonl = _read(path, "jsonl")  # the format the spec names wins over the extension
    assert [f.code for f in jsonl.findings] == ["not_an_object"]
