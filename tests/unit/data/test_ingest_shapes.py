"""Alpaca, ShareGPT and preference rows: how each maps to chat messages (or to the preference form),
how a row's keys tell its shape, and the finding each malformed row gets, on its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from tuneloop.data.ingest import IngestResult, ingest_source, iter_source
from tuneloop.data.preference import NOT_TRAINED
from tuneloop.errors import TuneloopError
from tuneloop.spec import FieldMap, Source
from tuneloop.spec.data import DataSpec
from tuneloop.task_card import TaskCard

GENERATE = TaskCard(task="generate", labels=[], system="Be brief.")


def _jsonl(tmp_path: Path, rows: list[Any], name: str = "d.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(b"\n".join(orjson.dumps(row) for row in rows) + b"\n")
    return path


def _read(path: Path, fmt: str | None = None, card: TaskCard = GENERATE, **fields: Any) -> IngestResult:
    source = Source(path=path, format=fmt, fields=FieldMap(**fields))  # type: ignore[arg-type]
    return ingest_source(source, card, path.parent)


def _problems(result: IngestResult) -> list[tuple[int | None, str, str]]:
    return [(f.line, f.code, f.message) for f in result.findings]


def test_alpaca_system_history_instruction_and_input_become_turns(tmp_path: Path) -> None:
    row = {
        "instruction": "Translate to French.",
        "input": "Good morning",
        "output": "Bonjour",
        "system": "You translate.",
        "history": [["Hi", "Hello! What shall I translate?"]],
    }
    (example,) = _read(_jsonl(tmp_path, [row])).examples
    assert example.messages == [
        {"role": "system", "content": "You translate."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! What shall I translate?"},
        {"role": "user", "content": "Translate to French.\n\nGood morning"},
        {"role": "assistant", "content": "Bonjour"},
    ]
    (plain,) = _read(_jsonl(tmp_path, [{"instruction": "Say hi.", "input": "", "output": "Hi"}])).examples
    assert plain.messages[0] == {"role": "system", "content": "Be brief."}  # the task's prompt
    assert plain.text == "Say hi." and plain.label == "Hi"


def test_malformed_alpaca_rows_are_findings_on_their_lines(tmp_path: Path) -> None:
    rows = [
        {"instruction": "", "input": "Good morning", "output": "Bonjour"},
        {"instruction": "Say hi.", "input": "", "output": "  "},
        {"instruction": "Say hi.", "output": "Hi", "history": [["only one"]]},
        {"instruction": 3, "output": "Hi"},
        {"instruction": "Say hi.", "output": "Hi", "images": ["a.png"]},
    ]
    result = _read(_jsonl(tmp_path, rows), "alpaca")
    assert [(line, code) for line, code, _ in _problems(result)] == [
        (1, "empty_text"),
        (2, "empty_text"),
        (3, "wrong_type"),
        (4, "wrong_type"),
        (5, "unrecognised_key"),
    ]
    messages = [message for _, _, message in _problems(result)]
    assert "'instruction' is empty but 'input' is not" in messages[0]
    assert "'output' is empty" in messages[1] and "history[0]" in messages[2]
    assert "'images' is not a key of the alpaca format" in messages[4]
    assert len(result.examples) == 1  # the row with an unknown key is kept, with the warning
    missing = _read(_jsonl(tmp_path, [{"instruction": "Say hi."}], "m.jsonl"), "alpaca")
    assert _problems(missing) == [(1, "missing_field", "the Alpaca field 'output' is missing")]


def test_a_field_mapping_that_names_a_key_of_the_row_wins_over_its_shape(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"instruction": "Where is my card?", "output": "card_arrival"}])
    classify = TaskCard(task="classify", labels=["card_arrival"], system=None)
    (example,) = _read(path, card=classify, text="instruction", label="output").examples
    assert example.messages == [
        {"role": "user", "content": "Where is my card?"},
        {"role": "assistant", "content": "card_arrival"},
    ]


def test_an_alpaca_csv_is_told_by_its_header(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('instruction,input,output\nSay hi.,,Hi\n"Translate.",Good morning,Bonjour\n')
    result = _read(path)
    assert [e.text for e in result.examples] == ["Say hi.", "Translate.\n\nGood morning"]


def test_sharegpt_turns_map_to_roles_and_keep_the_row_system(tmp_path: Path) -> None:
    row = {
        "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}],
        "system": "You greet.",
        "tools": "",
    }
    (example,) = _read(_jsonl(tmp_path, [row])).examples
    assert example.messages == [
        {"role": "system", "content": "You greet."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
    ]
    assert example.label == "Hello" and example.tools == []


def test_malformed_sharegpt_rows_are_findings_on_their_lines(tmp_path: Path) -> None:
    tools = orjson.dumps([{"name": "get_time", "parameters": {"type": "object", "properties": {}}}]).decode()
    human, gpt = {"from": "human", "value": "What time is it?"}, {"from": "gpt", "value": "Noon."}
    rows = [
        {"conversations": [human, {"from": "bot", "value": "Noon."}]},
        {"conversations": [human, {"from": "function_call", "value": "get_time()"}, gpt]},
        {
            "conversations": [human, {"from": "function_call", "value": '{"name": "get_date"}'}, gpt],
            "tools": tools,
        },
        {"conversations": [human]},
        {"conversations": [human, {"from": "observation", "value": "12:00"}, gpt]},
        {"conversations": [human, gpt], "images": ["a.png"]},
    ]
    result = _read(_jsonl(tmp_path, rows))
    assert [(line, code) for line, code, _ in _problems(result)] == [
        (1, "unknown_role"),
        (2, "invalid_tool_call"),
        (3, "unknown_tool"),
        (4, "no_assistant_message"),
        (5, "orphan_tool_result"),
        (6, "unrecognised_key"),
    ]
    messages = [message for _, _, message in _problems(result)]
    assert messages[0] == (
        "conversations[1].from must be one of human, gpt, system, function_call, observation, found 'bot'"
    )
    assert "conversations[1]" in messages[1] and "conversations[1]" in messages[2]
    assert "conversations[1]" in messages[4]  # said in the row's own terms


def test_a_sharegpt_tool_call_checked_against_the_declared_tools(tmp_path: Path) -> None:
    tools = [
        {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}}}
    ]
    row = {
        "conversations": [
            {"from": "human", "value": "Time in Paris?"},
            {"from": "function_call", "value": '{"name": "get_time", "arguments": {"zone": "CET"}}'},
            {"from": "observation", "value": '{"time": "12:00"}'},
            {"from": "gpt", "value": "It is noon."},
        ],
        "tools": tools,
    }
    (example,) = _read(_jsonl(tmp_path, [row])).examples
    assert example.messages[2]["tool_calls"][0]["function"] == {
        "name": "get_time",
        "arguments": '{"zone":"CET"}',
    }
    assert example.messages[3] == {"role": "tool", "content": '{"time": "12:00"}'}
    assert example.tools == [{"type": "function", "function": tools[0]}]


def _preference_findings(tmp_path: Path, rows: list[Any]) -> list[tuple[int | None, str]]:
    source = Source(path=_jsonl(tmp_path, rows))
    return [(item.finding.line, item.finding.code) for item, _ in iter_source(source, GENERATE, tmp_path)]  # type: ignore[union-attr]


def test_well_formed_preference_rows_of_every_layout_say_they_are_not_trained(tmp_path: Path) -> None:
    user = [{"role": "user", "content": "Hi"}]
    hi, gpt = {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "No."}
    rows = [
        {"prompt": "Hi", "chosen": "Hello!", "rejected": "Go away."},
        {"prompt": user, "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [gpt]},
        {"instruction": "Greet.", "input": "", "chosen": "Hello!", "rejected": "No."},
        {"conversations": [hi], "chosen": {"from": "gpt", "value": "Hello!"}, "rejected": gpt},
        {"messages": [*user, {"role": "assistant", "content": "Hello!"}], "label": True},
        {"conversations": [hi, gpt], "kto_tag": False},
        {"prompt": "Hi", "completion": "Hello!", "label": False},
    ]
    assert _preference_findings(tmp_path, rows) == [(n, NOT_TRAINED) for n in range(1, 8)]


def test_malformed_preference_rows_get_their_own_findings(tmp_path: Path) -> None:
    hi, gpt = {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "No."}
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}]
    rows = [
        {"prompt": "Hi", "chosen": "Hello!"},
        {"prompt": "Hi", "chosen": "Hello!", "rejected": " Hello! "},
        {"prompt": "Hi", "chosen": {"from": "human", "value": "x"}, "rejected": "No."},
        {"chosen": "Hello!", "rejected": "No."},
        {"messages": [{"role": "user", "content": "Hi"}], "label": True},
        {"conversations": [hi, gpt], "kto_tag": "yes"},
        {"prompt": turns, "chosen": "a", "rejected": "b"},
    ]
    assert _preference_findings(tmp_path, rows) == [
        (1, "missing_field"),
        (2, "identical_answers"),
        (3, "unknown_role"),
        (4, "missing_field"),
        (5, "no_assistant_message"),
        (6, "wrong_type"),
        (7, "no_user_message"),
    ]


def test_a_chat_row_with_a_boolean_label_is_a_kto_row_not_a_silent_sft_row(tmp_path: Path) -> None:
    row = {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}],
        "label": False,
    }
    path = _jsonl(tmp_path, [row], "chat.jsonl")
    assert _preference_findings(tmp_path, [row]) == [(1, NOT_TRAINED)]
    with pytest.raises(TuneloopError, match=r"1 of the 1 rows are preference rows"):
        _read(path, "chat")


def test_the_spec_names_row_formats_and_keeps_them_out_of_unlabeled(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"instruction": "Say hi.", "output": "Hi"}])
    assert Source(path=path, format="alpaca").format == "alpaca"
    assert Source(path=path, format="sharegpt").format == "sharegpt"
    with pytest.raises(ValidationError, match=r"unlabeled\[0\]: .* not alpaca"):
        DataSpec(sources=[Source(path=path)], unlabeled=[Source(path=path, format="alpaca")])
    text_only = TaskCard(task="text", labels=[], system=None)
    assert [f.code for f in _read(path, card=text_only).findings] == ["missing_field"]  # its text field
