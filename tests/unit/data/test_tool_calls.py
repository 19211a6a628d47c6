"""Tool calls checked against the row's declared tools: JSON arguments, known names, the schema."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tuneloop.data.chat_rows import read_chat_row
from tuneloop.data.row_problem import RowProblem

MOVE = {
    "type": "function",
    "function": {
        "name": "move",
        "parameters": {
            "type": "object",
            "properties": {
                "direction": {"type": "string", "enum": ["up", "down"]},
                "distance": {"type": "integer"},
                "fast": {"type": ["boolean", "null"]},
            },
            "required": ["direction", "distance"],
        },
    },
}
USER = {"role": "user", "content": "go up 3"}


def _call(arguments: Any, name: str = "move", **extra: Any) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode()
    return {"type": "function", "function": {"name": name, "arguments": text}, **extra}


def _row(*calls: dict[str, Any], tools: Any = (MOVE,), **keys: Any) -> dict[str, Any]:
    row = {"messages": [USER, {"role": "assistant", "tool_calls": list(calls)}], **keys}
    return {**row, "tools": tools if isinstance(tools, str) else list(tools)} if tools is not None else row


def _problem(row: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(RowProblem) as err:
        read_chat_row(row, None)
    return err.value.code, err.value.message


def test_a_call_that_fits_its_schema_is_kept() -> None:
    chat = read_chat_row(_row(_call({"direction": "up", "distance": 3.0, "fast": None})), None)
    assert chat.messages[-1]["tool_calls"][0]["function"]["name"] == "move"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("{direction: up}", "arguments is not valid JSON"),
        ("[1, 2]", "arguments must be a JSON object, found an array"),
        ({"direction": "up"}, "the required parameter 'distance' is missing"),
        ({"direction": "up", "distance": 3, "speed": 9}, "'speed' is not a parameter of the tool"),
        ({"direction": "up", "distance": "3"}, "'distance' must be integer, found a string"),
        ({"direction": "up", "distance": 2.5}, "'distance' must be integer, found a number"),
        ({"direction": "up", "distance": 3, "fast": 1}, "'fast' must be boolean or null, found a number"),
        ({"direction": "left", "distance": 3}, "'direction' must be one of 'up', 'down', found 'left'"),
    ],
)
def test_arguments_are_checked_against_the_tools_json_schema(arguments: Any, message: str) -> None:
    code, text = _problem(_row(_call(arguments)))
    assert code in ("invalid_tool_call", "invalid_arguments") and message in text
    assert text.startswith("messages[1].tool_calls[0]")


def test_additional_properties_allowed_by_the_schema_are_not_unknown() -> None:
    tool = orjson.loads(orjson.dumps(MOVE))
    tool["function"]["parameters"]["additionalProperties"] = True
    read_chat_row(_row(_call({"direction": "up", "distance": 3, "note": "x"}), tools=[tool]), None)


def test_without_declared_tools_any_well_formed_call_is_kept() -> None:
    read_chat_row(_row(_call({"anything": 1}, name="other"), tools=None), None)


def test_tools_in_llama_factory_form_read_as_openai_tools() -> None:
    row = _row(_call({"direction": "up", "distance": 3}), tools=None)
    row["tools"] = orjson.dumps([MOVE["function"]]).decode()  # ShareGPT: bare functions, as JSON text
    assert read_chat_row(row, None).tools == [MOVE]


@pytest.mark.parametrize(
    ("row", "code", "message"),
    [
        (_row(_call({}, name="fly")), "unknown_tool", "messages[1].tool_calls[0] calls 'fly', which the"),
        (
            _row(_call({"direction": "up", "distance": 1}), _call({"direction": "up", "distance": 2}),
                 parallel_tool_calls=False),
            "invalid_tool_call",
            "messages[1] makes 2 tool calls but the row sets parallel_tool_calls: false",
        ),
        (_row(_call({}), tools=[MOVE, MOVE]), "invalid_tools", "tools declares 'move' more than once"),
        (_row(_call({}), tools=[{"type": "function"}]), "invalid_tools", "tools[0] must be"),
        (_row(_call({}), tools="[oops"), "invalid_tools", "'tools' is text but not JSON"),
        (_row(_call({}), tools=None, functions=[{"name": "f"}]), "deprecated_functions", "'functions' is"),
        (_row(_call({}), parallel_tool_calls="no"), "wrong_type", "'parallel_tool_calls' must be true or"),
        (
            {"messages": [USER, {"role": "assistant", "tool_calls": [{"type": "function"}]}]},
            "invalid_tool_call",
            "messages[1].tool_calls[0] must be {type: function, function: {name, arguments}}",
        ),
        (
            {"messages": [USER, {"role": "assistant", "tool_calls": {}}]},
            "wrong_type",
            "messages[1].tool_calls must be a list",
        ),
    ],
)  # fmt: skip
def test_a_bad_declaration_or_call_quarantines_the_row(row: dict[str, Any], code: str, message: str) -> None:
    found = _problem(row)
    assert found[0] == code and found[1].startswith(message)


def test_a_tool_result_must_answer_an_earlier_call() -> None:
    call = _call({"direction": "up", "distance": 3}, id="call_1")
    answer = {"role": "assistant", "content": "Done."}
    kept = _row(call)
    kept["messages"] += [{"role": "tool", "tool_call_id": "call_1", "content": "ok"}, answer]
    read_chat_row(kept, None)
    wrong = _row(call)
    wrong["messages"] += [{"role": "tool", "tool_call_id": "call_2", "content": "ok"}, answer]
    assert _problem(wrong) == (
        "orphan_tool_result",
        "messages[2].tool_call_id 'call_2' answers no earlier tool call (call_1)",
    )
    early = {"messages": [USER, {"role": "tool", "content": "ok"}, answer]}
    assert _problem(early) == (
        "orphan_tool_result",
        "messages[1] is a tool result, but no tool call comes before it",
    )
