from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tuneloop.data.example import Example, build_messages
from tuneloop.data.findings import Finding, QuarantinedRow
from tuneloop.data.version import DatasetVersion, write_dataset_version


def _example(i: int, label: str = "a") -> Example:
    return Example(build_messages(f"text {i}", label, "sys"), label, f"d.csv:{i}", {"channel": "app"})


def _splits() -> dict[str, list[Example]]:
    return {"train": [_example(1), _example(2, "b")], "validation": [_example(3)], "test": [_example(4, "b")]}


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    bad = QuarantinedRow(Finding("invalid_json", "error", "d.jsonl", 7, "invalid JSON"), "{oops")
    version = write_dataset_version(_splits(), [bad], read=5, path=tmp_path / "v")
    loaded = DatasetVersion.load(tmp_path / "v")
    assert loaded.split("train") == _splits()["train"]
    assert loaded.manifest["counts"] == {
        "read": 5,
        "kept": 4,
        "quarantined": 1,
        "splits": {"train": 2, "validation": 1, "test": 1, "unlabeled": 0, "general": 0},
    }
    assert loaded.manifest["label_counts"]["train"] == {"a": 1, "b": 1}
    assert loaded.manifest["findings"][0]["line"] == 7
    quarantine = [
        orjson.loads(line) for line in (tmp_path / "v" / "quarantine.jsonl").read_bytes().splitlines()
    ]
    assert quarantine == [{**bad.finding.to_dict(), "raw": "{oops"}]
    assert loaded.hash == version.hash


def test_hash_depends_on_content_not_on_location(tmp_path: Path) -> None:
    one = write_dataset_version(_splits(), [], 4, tmp_path / "one")
    two = write_dataset_version(_splits(), [], 4, tmp_path / "two")
    changed = _splits()
    changed["test"] = [_example(5, "b")]
    three = write_dataset_version(changed, [], 4, tmp_path / "three")
    assert one.hash == two.hash != three.hash


def test_counts_that_do_not_add_up_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="row accounting"):
        write_dataset_version(_splits(), [], read=9, path=tmp_path / "v")


def test_tool_calls_weights_and_tools_survive_the_parquet_version(tmp_path: Path) -> None:
    calls = [{"type": "function", "function": {"name": "weather", "arguments": '{"city": "Lisbon"}'}}]
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": "", "tool_calls": calls, "weight": 0},
        {"role": "tool", "content": "21C", "tool_call_id": "call_1"},
        {"role": "assistant", "content": "21 degrees."},
    ]
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]
    chat = Example(messages, "21 degrees.", "chat.jsonl:1", tools=tools)
    splits = {"train": [chat, _example(1)], "validation": [], "test": []}
    write_dataset_version(splits, [], read=2, path=tmp_path / "v")
    assert DatasetVersion.load(tmp_path / "v").split("train") == [chat, _example(1)]


def test_a_version_written_before_tool_calls_existed_still_loads(tmp_path: Path) -> None:
    old = pa.schema(
        [
            ("id", pa.string()),
            ("messages", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
            ("label", pa.string()),
            ("slices", pa.map_(pa.string(), pa.string())),
            ("source", pa.string()),
        ]
    )
    write_dataset_version(_splits(), [], read=4, path=tmp_path / "v")
    rows = [{k: v for k, v in e.to_row().items() if k != "tools"} for e in _splits()["train"]]
    pq.write_table(pa.Table.from_pylist(rows, schema=old), tmp_path / "v" / "train.parquet")
    assert DatasetVersion.load(tmp_path / "v").split("train") == _splits()["train"]
