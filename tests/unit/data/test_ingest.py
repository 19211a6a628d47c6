from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tuneloop.data.ingest import ingest_source
from tuneloop.errors import TuneloopError
from tuneloop.spec import FieldMap, Source
from tuneloop.task_card import TaskCard

CARD = TaskCard(
    task="classify",
    labels=["card_arrival", "pin_blocked"],
    system="Classify the message.",
    text_field="text",
    label_field="category",
)
FIELDS = FieldMap(text="text", label="category", slices=["channel"])


def _source(path: Path, fmt: str | None = None) -> Source:
    return Source(path=path, format=fmt, fields=FIELDS)  # type: ignore[arg-type]


def _jsonl(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_csv_rows_become_chat_examples_with_source_and_slices(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        'text,category,channel\nWhere is my card?,card_arrival,app\n"My PIN, blocked",pin_blocked,\n'
    )
    result = ingest_source(_source(path), CARD, tmp_path)
    assert result.read == 2 and not result.quarantined
    first, second = result.examples
    assert first.messages == [
        {"role": "system", "content": "Classify the message."},
        {"role": "user", "content": "Where is my card?"},
        {"role": "assistant", "content": "card_arrival"},
    ]
    assert first.label == "card_arrival" and first.source == "d.csv:2" and first.slices == {"channel": "app"}
    assert second.text == "My PIN, blocked" and second.slices == {} and second.source == "d.csv:3"


def test_id_is_a_stable_content_hash(tmp_path: Path) -> None:
    a = _jsonl(tmp_path / "a.jsonl", [b'{"text": "Where is my card?", "category": "card_arrival"}'])
    b = _jsonl(tmp_path / "b.jsonl", [b"{}", b'{"category": "card_arrival", "text": "Where is my card?"}'])
    c = _jsonl(tmp_path / "c.jsonl", [b'{"text": "Where is my card?", "category": "pin_blocked"}'])
    ids = [ingest_source(_source(p), CARD, tmp_path).examples[0].id for p in (a, b, c)]
    assert ids[0] == ids[1] != ids[2]
    assert len(ids[0]) == 16


def test_bad_jsonl_rows_are_quarantined_with_line_code_and_sentence(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "d.jsonl",
        [
            b'{"text": "Where is my card?", "category": "card_arrival"}',
            b'{"text": "broken"',
            b'["not", "an", "object"]',
            b'{"category": "card_arrival"}',
            b'{"text": 42, "category": "card_arrival"}',
            b'{"text": "   ", "category": "card_arrival"}',
            b'{"text": "hello", "category": "no_such_label"}',
            b'{"text": "caf\xe9", "category": "card_arrival"}',
            b'{"text": "My PIN is blocked", "category": "pin_blocked"}',
        ],
    )
    result = ingest_source(_source(path), CARD, tmp_path)
    assert result.read == 9
    assert len(result.examples) + len(result.quarantined) == result.read
    assert [e.source for e in result.examples] == ["d.jsonl:1", "d.jsonl:9"]
    got = [(f.line, f.code, f.severity) for f in result.findings]
    assert got == [
        (2, "invalid_json", "error"),
        (3, "not_an_object", "error"),
        (4, "missing_field", "error"),
        (5, "wrong_type", "error"),
        (6, "empty_text", "error"),
        (7, "unknown_label", "error"),
        (8, "invalid_utf8", "error"),
    ]
    assert all(f.file == "d.jsonl" and f.message for f in result.findings)
    assert result.quarantined[0].raw == '{"text": "broken"'
    assert "'no_such_label' is not in the spec's labels" in result.findings[5].message


def test_invalid_utf8_in_csv_flags_that_line_only(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(
        b"text,category,channel\nfine,card_arrival,\nbad \xff byte,card_arrival,\nok,pin_blocked,\n"
    )
    result = ingest_source(_source(path), CARD, tmp_path)
    assert [e.text for e in result.examples] == ["fine", "ok"]
    assert [(f.line, f.code) for f in result.findings] == [(3, "invalid_utf8")]


def test_csv_line_numbers_follow_multiline_quoted_fields(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('text,category,channel\n"two\nlines",card_arrival,\nwrong,columns\nlast,pin_blocked,\n')
    result = ingest_source(_source(path), CARD, tmp_path)
    assert [e.source for e in result.examples] == ["d.csv:2", "d.csv:5"]
    assert [(f.line, f.code) for f in result.findings] == [(4, "wrong_column_count")]


def test_missing_csv_column_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("body,category,channel\nx,card_arrival,\n")
    with pytest.raises(
        TuneloopError, match=r"column 'text' .* is not in the CSV header \(columns: body, category"
    ):
        ingest_source(_source(path), CARD, tmp_path)


def test_parquet_rows_are_read_with_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    table = pa.table(
        {
            "text": ["Where is my card?", None],
            "category": ["card_arrival", "pin_blocked"],
            "channel": ["app", "web"],
        }
    )
    pq.write_table(table, path)
    result = ingest_source(_source(path), CARD, tmp_path)
    assert [e.source for e in result.examples] == ["d.parquet:1"]
    assert [(f.line, f.code) for f in result.findings] == [(2, "missing_field")]


def test_damaged_parquet_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(TuneloopError, match="not a readable Parquet file"):
        ingest_source(_source(path), CARD, tmp_path)


def test_openai_chat_jsonl(tmp_path: Path) -> None:
    good = {
        "messages": [
            {"role": "user", "content": "Where is my card?"},
            {"role": "assistant", "content": "card_arrival"},
        ],
        "channel": "app",
    }
    rows = [
        orjson.dumps(good),
        orjson.dumps({"messages": "nope"}),
        orjson.dumps(
            {"messages": [{"role": "robot", "content": "x"}, {"role": "assistant", "content": "pin_blocked"}]}
        ),
        orjson.dumps({"messages": [{"role": "assistant", "content": "pin_blocked"}]}),
        orjson.dumps({"messages": [{"role": "user", "content": "hi"}]}),
        orjson.dumps({"rows": []}),
    ]
    result = ingest_source(_source(_jsonl(tmp_path / "chat.jsonl", rows), "chat"), CARD, tmp_path)
    (example,) = result.examples
    assert example.label == "card_arrival" and example.slices == {"channel": "app"}
    assert example.messages[0] == {"role": "system", "content": "Classify the message."}
    assert [f.code for f in result.findings] == [
        "wrong_type",
        "unknown_role",
        "no_user_message",
        "no_assistant_message",
        "missing_field",
    ]


def test_an_unterminated_quote_is_named_with_the_lines_it_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('text,category,channel\nok,card_arrival,\n"oops,pin_blocked,\nmore,card_arrival,\n')
    result = ingest_source(_source(path), CARD, tmp_path)
    assert [e.source for e in result.examples] == ["d.csv:2"]
    (finding,) = result.findings
    assert (finding.line, finding.code) == (3, "unterminated_quote")
    assert "lines 3-4" in finding.message
    assert result.quarantined[0].raw == '"oops,pin_blocked,\nmore,card_arrival,'


def test_csv_quarantine_keeps_the_raw_line_and_flags_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('text,category,channel\n"quoted, text",card_arrival,x,extra\n,,\n\nfine,pin_blocked,\n')
    result = ingest_source(_source(path), CARD, tmp_path)
    assert result.read == 3 and [e.source for e in result.examples] == ["d.csv:5"]
    assert [(f.line, f.code) for f in result.findings] == [(2, "wrong_column_count"), (3, "empty_text")]
    assert result.quarantined[0].raw == '"quoted, text",card_arrival,x,extra'


def test_a_very_long_csv_field_is_read_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"text,category,channel\n{'word ' * 40000},card_arrival,\n")
    (example,) = ingest_source(_source(path), CARD, tmp_path).examples
    assert len(example.text) > 131072


def test_a_byte_order_mark_does_not_cost_the_first_jsonl_row(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "d.jsonl", [b'\xef\xbb\xbf{"text": "Where is my card?", "category": "card_arrival"}']
    )
    result = ingest_source(_source(path), CARD, tmp_path)
    assert len(result.examples) == 1 and not result.findings


@pytest.mark.parametrize("content", ["", "text,category,channel\n"])
def test_an_empty_source_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(content)
    with pytest.raises(TuneloopError, match=r"d\.csv: no rows to read"):
        ingest_source(_source(path), CARD, tmp_path)


def test_unusual_line_breaks_inside_a_field_keep_raw_text_on_the_right_line(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("text,category,channel\nform\x0cfeed and\u2028sep,card_arrival,\nshort,row\n", newline="")
    result = ingest_source(_source(path), CARD, tmp_path)
    assert [(f.line, f.code) for f in result.findings] == [(3, "wrong_column_count")]
    assert result.quarantined[0].raw == "short,row"
