"""Round trips on real public files (tests/assets, with their source and licence): each format is
read with the right row count and trainable content, or kept out with a finding that says why."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tuneloop.data.check_report import check_files, infer_source
from tuneloop.data.ingest import ingest_source, iter_source
from tuneloop.data.preference import NOT_TRAINED, preference_of
from tuneloop.data.row_shapes import row_shape
from tuneloop.errors import TuneloopError
from tuneloop.spec import FieldMap, Source
from tuneloop.task_card import TaskCard

ASSETS = Path(__file__).parents[2] / "assets"
LLAMA_FACTORY = ASSETS / "llama-factory"
GENERATE = TaskCard(task="generate", labels=[], system=None)


def _records(path: Path) -> list[dict]:
    return orjson.loads(path.read_bytes())


def _record_lines(path: Path) -> list[int]:
    """The line of each record of a pretty-printed array (records open with two spaces and `{`)."""
    return [i for i, line in enumerate(path.read_text().splitlines(), start=1) if line == "  {"]


def test_a_json_array_of_records_is_read_record_by_record_at_their_lines() -> None:
    path = ASSETS / "nlupp" / "fold0.json"
    source = Source(path=path, fields=FieldMap(text="text", label=None))
    assert source.format == "json"  # inferred from the extension
    result = ingest_source(source, GENERATE, ASSETS)
    assert result.read == len(result.examples) == 12 and not result.quarantined
    assert [e.source for e in result.examples] == [f"nlupp/fold0.json:{n}" for n in _record_lines(path)]
    first = result.examples[0]
    assert first.messages == [{"role": "user", "content": "How long does it usually take to get a new pin?"}]


def test_check_counts_the_records_of_a_json_array_not_its_lines() -> None:
    path = ASSETS / "nlupp" / "fold0.json"
    report = check_files([path])
    assert report["counts"]["read"] == report["counts"]["kept"] == 12
    assert not [f for f in report["findings"] if f["severity"] == "error"]
    assert infer_source(path).format == "json"


def test_alpaca_rows_become_instruction_then_input_and_the_output_answer() -> None:
    path = LLAMA_FACTORY / "alpaca_en_demo.json"
    source = infer_source(path)
    assert source.format == "alpaca"
    result = ingest_source(source, GENERATE, LLAMA_FACTORY)
    records = _records(path)
    assert result.read == len(result.examples) == len(records) == 20 and not result.quarantined
    for example, record in zip(result.examples, records, strict=True):
        prompt = record["instruction"].strip()
        if record["input"]:
            prompt += "\n\n" + record["input"].strip()
        assert example.messages == [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": record["output"].strip()},
        ]
        assert example.label == record["output"].strip()
    assert sum("\n\n" in e.text for e in result.examples) >= 5  # the rows with an input


@pytest.mark.parametrize("name", ["alpaca_en_demo.json", "glaive_toolcall_en_demo.json"])
def test_check_reads_conversation_answers_as_free_text_not_labels(name: str) -> None:
    report = check_files([LLAMA_FACTORY / name])
    assert report["checks"]["labels"] == {
        "skipped": "the answers are free text, not labels: conflicting answers are not errors"
    }


def test_alpaca_rows_in_a_plain_json_source_are_told_by_their_keys() -> None:
    path = LLAMA_FACTORY / "alpaca_en_demo.json"
    result = ingest_source(Source(path=path), GENERATE, LLAMA_FACTORY)  # format json, fields: default
    assert len(result.examples) == 20 and not result.quarantined


def test_sharegpt_tool_rows_keep_their_calls_results_and_tools() -> None:
    path = LLAMA_FACTORY / "glaive_toolcall_en_demo.json"
    source = infer_source(path)
    assert source.format == "sharegpt"
    result = ingest_source(source, GENERATE, LLAMA_FACTORY)
    records = _records(path)
    assert result.read == len(result.examples) == 8 and not result.quarantined
    first, record = result.examples[0], records[0]
    roles = [m["role"] for m in first.messages]
    assert roles == ["user", "assistant", "user", "assistant", "tool", "assistant", "user", "assistant"]
    call = first.messages[3]
    assert call["content"] == "" and call["tool_calls"] == [
        {
            "type": "function",
            "function": {
                "name": "search_recipes",
                "arguments": orjson.dumps({"ingredients": ["chicken", "bell peppers", "rice"]}).decode(),
            },
        }
    ]
    assert first.messages[4]["content"] == record["conversations"][4]["value"]
    assert [t["function"]["name"] for t in first.tools] == ["search_recipes"]
    assert first.label == record["conversations"][-1]["value"]
    with_calls = [e for e in result.examples if any("tool_calls" in m for m in e.messages)]
    assert len(with_calls) == 3


@pytest.mark.parametrize(
    ("name", "kind", "count"), [("dpo_en_demo.json", "dpo", 5), ("kto_en_demo.json", "kto", 6)]
)
def test_preference_rows_are_read_into_the_canonical_form(name: str, kind: str, count: int) -> None:
    records = _records(LLAMA_FACTORY / name)
    preferences = [preference_of(record, None) for record in records]
    assert len(preferences) == count and {p.kind for p in preferences} == {kind}
    for preference, record in zip(preferences, records, strict=True):
        assert preference.prompt[-1]["role"] == "user"
        if kind == "dpo":
            assert preference.chosen == record["chosen"]["value"].strip()
            assert preference.rejected == record["rejected"]["value"].strip()
            assert [m["content"] for m in preference.prompt] == [
                t["value"].strip() for t in record["conversations"]
            ]
        else:
            assert preference.desirable is record["label"]
            assert preference.completion == record["messages"][-1]["content"].strip()
            assert len(preference.prompt) == len(record["messages"]) - 1


@pytest.mark.parametrize("name", ["dpo_en_demo.json", "kto_en_demo.json"])
def test_check_says_preference_rows_are_not_trained_and_a_spec_source_is_refused(name: str) -> None:
    path = LLAMA_FACTORY / name
    report = check_files([path])
    counts = report["counts"]
    assert counts["read"] == counts["quarantined"] == len(_records(path)) and counts["kept"] == 0
    assert report["findings_summary"]["by_code"] == {NOT_TRAINED: counts["read"]}
    assert [f["line"] for f in report["findings"]] == _record_lines(path)
    with pytest.raises(
        TuneloopError,
        match=r"are preference rows .* no phase trains on preference rows \(.*add a kto or dpo phase",
    ):
        ingest_source(infer_source(path), GENERATE, LLAMA_FACTORY)


def test_every_asset_row_has_the_shape_its_file_is_named_for() -> None:
    expected = {
        "alpaca_en_demo.json": "alpaca",
        "glaive_toolcall_en_demo.json": "sharegpt",
        "dpo_en_demo.json": "preference",
        "kto_en_demo.json": "preference",
    }
    for name, shape in expected.items():
        assert {row_shape(r, "json", "text") for r in _records(LLAMA_FACTORY / name)} == {shape}
    rows = list(iter_source(Source(path=LLAMA_FACTORY / "kto_en_demo.json"), GENERATE, LLAMA_FACTORY))
    assert len(rows) == 6
