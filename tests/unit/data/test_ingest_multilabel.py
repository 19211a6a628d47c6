"""Multilabel rows: every layout that holds a label set, read into one canonical form, and every
bad set a quarantined row with its file, line and reason."""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from tuneloop.data.ingest import IngestResult, ingest_source
from tuneloop.spec import FieldMap, Source
from tuneloop.task_card import TaskCard

ASSETS = Path(__file__).resolve().parents[2] / "assets"
CARD = TaskCard(
    task="multilabel",
    labels=["why", "change", "card", "pin"],
    system="List the intents.",
    label_field="intents",
    min_labels=0,
    max_labels=3,
)


def _read(
    path: Path, card: TaskCard = CARD, delimiter: str | None = None, fmt: str | None = None
) -> IngestResult:
    fields = FieldMap(text="text", label="intents", label_delimiter=delimiter)
    source = Source(path=path, format=fmt, fields=fields)  # type: ignore[arg-type]
    return ingest_source(source, card, path.parent)


def test_a_list_in_any_order_becomes_the_set_in_schema_order_and_its_canonical_answer(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "Why was my PIN changed?", "intents": ["pin", "why", "change"]}\n')
    (example,) = _read(path).examples
    assert example.labels == ("why", "change", "pin")
    assert example.label == "why, change, pin"
    assert example.messages[-1] == {"role": "assistant", "content": "why, change, pin"}
    assert example.messages[0] == {"role": "system", "content": "List the intents."}


def test_csv_cells_hold_a_json_list_or_the_delimiter_the_source_names(tmp_path: Path) -> None:
    json_cells = tmp_path / "j.csv"
    json_cells.write_text('text,intents\nmy card?,"[""card"", ""why""]"\nhello,\n')
    assert [e.labels for e in _read(json_cells).examples] == [("why", "card"), ()]
    piped = tmp_path / "p.csv"
    piped.write_text("text,intents\nmy card?,card|why\nnew pin,pin\n")
    examples = _read(piped, delimiter="|").examples
    assert [e.labels for e in examples] == [("why", "card"), ("pin",)]
    assert examples[0].label == "why, card"


def test_parquet_list_cells_are_label_sets(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    table = pa.table({"text": ["my pin", "nothing"], "intents": [["pin", "card"], []]})
    pq.write_table(table, path)
    assert [e.labels for e in _read(path).examples] == [("card", "pin"), ()]
    assert [e.label for e in _read(path).examples] == ["card, pin", "none"]


def test_nlupp_records_read_with_a_missing_intents_field_as_no_labels(tmp_path: Path) -> None:
    records = orjson.loads((ASSETS / "nlupp" / "fold0.json").read_bytes())
    names = sorted({i for r in records for i in r.get("intents", [])} | {"affirm"})
    card = TaskCard(task="multilabel", labels=names, system=None, label_field="intents")
    result = _read(ASSETS / "nlupp" / "fold0.json", card)
    assert result.read == len(result.examples) == 12 and not result.quarantined
    for example, record in zip(result.examples, records, strict=True):
        assert set(example.labels or ()) == set(record.get("intents", []))
        assert list(example.labels or ()) == sorted(example.labels or (), key=names.index)


def test_chat_answers_list_labels_and_are_rewritten_canonically(tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    rows = [
        {
            "messages": [
                {"role": "user", "content": "why my pin"},
                {"role": "assistant", "content": "pin,why"},
            ]
        },
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "none"}]},
        {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": '["card"]'}]},
    ]
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    examples = _read(path, fmt="chat").examples
    assert [e.labels for e in examples] == [("why", "pin"), (), ("card",)]
    assert [e.messages[-1]["content"] for e in examples] == ["why, pin", "none", "card"]


def test_bad_sets_are_quarantined_with_file_line_code_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [
        '{"text": "ok", "intents": ["pin"]}',
        '{"text": "a", "intents": ["pin", "bogus"]}',
        '{"text": "b", "intents": ["pin", "pin"]}',
        '{"text": "c", "intents": ["pin", "why", "card", "change"]}',
        '{"text": "d", "intents": "pin"}',
        '{"text": "e", "intents": [3]}',
    ]
    path.write_text("\n".join(lines) + "\n")
    result = _read(path)
    assert result.read == 6 and [e.labels for e in result.examples] == [("pin",), ("pin",)]  # text "pin"
    found = [(q.finding.file, q.finding.line, q.finding.code) for q in result.quarantined]
    assert found == [
        ("bad.jsonl", 2, "unknown_label"),
        ("bad.jsonl", 3, "duplicate_label"),
        ("bad.jsonl", 4, "too_many_labels"),
        ("bad.jsonl", 6, "wrong_type"),
    ]
    messages = {q.finding.code: q.finding.message for q in result.quarantined}
    assert messages["unknown_label"] == "label 'bogus' is not in the spec's labels"
    assert messages["duplicate_label"] == "label 'pin' is listed more than once in one answer"
    assert messages["too_many_labels"] == "4 labels, but objective.max_labels is 3"


def test_an_empty_set_is_a_finding_where_min_labels_asks_for_one(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"text": "hello"}\n{"text": "hi", "intents": []}\n{"text": "pin?", "intents": ["pin"]}\n'
    )
    card = TaskCard(task="multilabel", labels=CARD.labels, system=None, min_labels=1)
    result = _read(path, card)
    assert [e.labels for e in result.examples] == [("pin",)]
    assert [(q.finding.line, q.finding.code) for q in result.quarantined] == [
        (1, "too_few_labels"),
        (2, "too_few_labels"),
    ]
    assert result.quarantined[0].finding.message == "0 label(s), but objective.min_labels is 1"
