from __future__ import annotations

import hashlib
from typing import Any

import orjson

from tuneloop.data.example import Example, build_messages, content_id, turn_text


def test_messages_text_prompt_and_row_round_trip() -> None:
    example = Example(
        build_messages("Where is my card?", "card_arrival", "Classify."),
        "card_arrival",
        "d.csv:2",
        {"channel": "app"},
    )
    assert example.text == "Where is my card?"
    assert [m["role"] for m in example.prompt_messages] == ["system", "user"]
    assert Example.from_row(example.to_row()) == example
    assert example.id == content_id(example.messages, "card_arrival")


def test_a_prompt_without_an_answer_is_the_whole_conversation() -> None:
    messages = build_messages("hello", None, None)
    assert messages == [{"role": "user", "content": "hello"}]
    assert Example(messages, None, "x").prompt_messages == messages


TOOL_CHAT: list[dict[str, Any]] = [
    {"role": "user", "content": "Weather in Lisbon?"},
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Lisbon", "days": 2}'},
            },
            {"type": "function", "function": {"name": "time", "arguments": "{}"}},
        ],
        "weight": 0,
    },
    {"role": "tool", "content": "21C", "tool_call_id": "call_1"},
    {"role": "assistant", "content": "21 degrees."},
]
TOOLS = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]


def test_tool_calls_weights_and_tools_round_trip_and_count_in_the_id() -> None:
    example = Example(TOOL_CHAT, "21 degrees.", "chat.jsonl:1", tools=TOOLS)
    assert Example.from_row(example.to_row()) == example
    assert example.id == content_id(TOOL_CHAT, "21 degrees.", TOOLS) != content_id(TOOL_CHAT, "21 degrees.")


def test_a_plain_example_keeps_the_id_it_had_before_tools_existed() -> None:
    messages = build_messages("Where is my card?", "card_arrival", "Classify.")
    payload = orjson.dumps({"messages": messages, "label": "card_arrival"}, option=orjson.OPT_SORT_KEYS)
    assert Example(messages, "card_arrival", "x").id == hashlib.sha256(payload).hexdigest()[:16]
    assert Example(messages, "card_arrival", "x").to_row()["tools"] is None


def test_the_answer_is_the_final_turn_as_text_with_its_tool_calls() -> None:
    assert turn_text(TOOL_CHAT[1]) == (
        '{"name": "weather", "arguments": {"city": "Lisbon", "days": 2}}\n{"name": "time", "arguments": {}}'
    )
    with_text = {**TOOL_CHAT[1], "content": "Checking."}
    assert turn_text(with_text).startswith('Checking.\n{"name": "weather"')
    assert Example(TOOL_CHAT[:2], None, "x").answer == turn_text(TOOL_CHAT[1])
    assert Example(TOOL_CHAT[:1], None, "x").answer == ""
