"""OpenAI chat fine-tuning rows, as OpenAI documents them today, read into canonical messages.

A row is `{"messages": [...], "tools": [...], "parallel_tool_calls": false}`. Its messages carry
more than a role and a text: the `developer` role, assistant turns that call tools (`tool_calls`,
with `content` null or absent), `tool` turns holding a call's result (`tool_call_id`, `content`),
content as a list of text parts (`{"type": "text", "text": ...}`, or LLaMA-Factory's `value`), and
a per-turn weight (OpenAI's `weight`, LLaMA-Factory's `loss_weight`): 0 = the turn is context,
not trained; 1 or none = trained. `data/example.py` describes the canonical form they read into.

`developer` is read as `system`: OpenAI made it the new name of the system message (same place,
same purpose), and the chat templates of the open models tuneloop trains know `system` only; a
template would render `developer` as a role its model never saw, and the task's system prompt and
the checks that skip the system prompt would miss it.

Content parts are joined without a separator, as chat templates join text parts. A part that is
not text (an image, audio) quarantines the row: tuneloop trains text models. A weight other than
0 or 1, or 1 on a turn that is not the assistant's, quarantines the row too (a weight tuneloop
cannot honour is never silently changed), as does a row where every assistant turn has weight 0
(it trains nothing). Tool calls are checked in `tool_calls.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from tuneloop.data.example import turn_text
from tuneloop.data.row_problem import RowProblem
from tuneloop.data.tool_calls import check_calls, declared_tools, read_tool_calls

ROLES = ("system", "developer", "user", "assistant", "tool")
WEIGHT_KEYS = ("weight", "loss_weight")


@dataclass(frozen=True)
class ChatRow:
    """A chat row in canonical form; `label` is the final assistant turn as text."""

    messages: list[dict[str, Any]]
    label: str
    tools: list[dict[str, Any]]


def read_chat_row(row: dict[str, Any], system: str | None) -> ChatRow:
    """The row's messages, answer and tools; `system`: the task's prompt, put first when the row
    has no system message of its own. Raises RowProblem naming the message and the reason."""
    messages = row.get("messages")
    if messages is None:
        raise RowProblem("missing_field", "the field 'messages' is missing")
    if not isinstance(messages, list) or not messages:
        raise RowProblem("wrong_type", "'messages' must be a non-empty list of {role, content} objects")
    tools = declared_tools(row)
    clean = [_message(i, message) for i, message in enumerate(messages)]
    check_calls(clean, tools, parallel=row.get("parallel_tool_calls") is not False)
    _check_turns(clean)
    if system and clean[0]["role"] != "system":
        clean.insert(0, {"role": "system", "content": system})
    return ChatRow(clean, turn_text(clean[-1]), tools)


def _check_turns(messages: list[dict[str, Any]]) -> None:
    if not any(m["role"] == "user" for m in messages):
        raise RowProblem("no_user_message", "the conversation has no user message")
    if messages[-1]["role"] != "assistant":
        raise RowProblem("no_assistant_message", "the conversation does not end with an assistant answer")
    if all(m.get("weight") == 0 for m in messages if m["role"] == "assistant"):
        raise RowProblem(
            "no_trained_turn",
            "every assistant turn has weight 0, so the row trains nothing",
            "give the turns to learn weight 1 (or no weight), or remove the row",
        )


def _message(i: int, message: Any) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise RowProblem("wrong_type", f"messages[{i}] must be an object")
    if "role" not in message:
        raise RowProblem("missing_field", f"messages[{i}] has no 'role'")
    role = message["role"]
    if role not in ROLES:
        raise RowProblem(
            "unknown_role", f"messages[{i}].role must be one of {', '.join(ROLES)}, found {role!r}"
        )
    if message.get("function_call") is not None:
        raise RowProblem(
            "deprecated_function_call",
            f"messages[{i}].function_call is OpenAI's deprecated form of a tool call",
            'write it as tool_calls: [{"type": "function", "function": {"name": ..., "arguments": ...}}]',
        )
    _only_on(i, message, "tool_calls", "assistant")
    _only_on(i, message, "tool_call_id", "tool")
    calls = read_tool_calls(i, message["tool_calls"]) if message.get("tool_calls") not in (None, []) else []
    clean: dict[str, Any] = {"role": "system" if role == "developer" else role}
    clean["content"] = _content(i, message, may_be_empty=bool(calls))
    if calls:
        clean["tool_calls"] = calls
    if message.get("tool_call_id") is not None:
        if not isinstance(message["tool_call_id"], str):
            raise RowProblem("wrong_type", f"messages[{i}].tool_call_id must be a string")
        clean["tool_call_id"] = message["tool_call_id"]
    if _weight(i, message, role) == 0 and role == "assistant":
        clean["weight"] = 0
    return clean


def _only_on(i: int, message: dict[str, Any], key: str, role: str) -> None:
    if message.get(key) not in (None, []) and message["role"] != role:
        raise RowProblem(
            "wrong_type", f"messages[{i}] is a {message['role']} message; {key} belongs on {role} messages"
        )


def _content(i: int, message: dict[str, Any], may_be_empty: bool) -> str:
    """The message's text; an assistant turn that calls tools may have none (null, absent or "")."""
    content = message.get("content")
    if content is None:
        if may_be_empty:
            return ""
        if "content" not in message:
            raise RowProblem("missing_field", f"messages[{i}] has no 'content'")
        raise RowProblem(
            "wrong_type",
            f"messages[{i}].content is null; only an assistant turn that calls tools may have none",
        )
    if isinstance(content, list):
        content = "".join(_part_text(f"messages[{i}].content[{j}]", part) for j, part in enumerate(content))
    elif not isinstance(content, str):
        raise RowProblem(
            "wrong_type",
            f"messages[{i}].content must be a string or a list of text parts, found {type(content).__name__}",
        )
    text = content.strip()
    if not text and not may_be_empty:
        raise RowProblem("empty_text", f"messages[{i}].content is empty")
    return text


def _part_text(where: str, part: Any) -> str:
    if not isinstance(part, dict):
        raise RowProblem("wrong_type", f"{where} must be a {{type, text}} object")
    if part.get("type", "text") != "text":
        raise RowProblem(
            "unsupported_content",
            f"{where} is a part of type {part['type']!r}; tuneloop trains on text only",
            "remove the part, or describe it in text",
        )
    text = next((part[key] for key in ("text", "value") if key in part), None)
    if not isinstance(text, str):
        raise RowProblem("wrong_type", f"{where} must hold its text as a string in 'text' (or 'value')")
    return text


def _weight(i: int, message: dict[str, Any], role: str) -> int | None:
    """0, 1 or None (not given); `weight` and `loss_weight` may both be given if they agree."""
    given: dict[str, int] = {}
    for key in WEIGHT_KEYS:
        value = message.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value not in (0, 1):
            raise RowProblem(
                "invalid_weight",
                f"messages[{i}].{key} must be 0 or 1, found {orjson.dumps(value).decode()}",
                "a turn is trained (1) or not (0); tuneloop has no fractional weights",
            )
        given[key] = int(value)
    if len(set(given.values())) > 1:
        raise RowProblem("invalid_weight", f"messages[{i}] has weight and loss_weight that disagree")
    weight = next(iter(given.values()), None)
    if weight == 1 and role != "assistant":
        raise RowProblem(
            "invalid_weight",
            f"messages[{i}] is a {role} message with {next(iter(given))} 1; only assistant turns are trained",
            "remove the weight: system, user and tool turns are context, never trained",
        )
    return weight


def template_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages as a Hugging Face chat template reads them: tool-call arguments as objects
    (templates write them with `tojson`), without tuneloop's `weight` (the loss mask applies it)."""
    out = []
    for message in messages:
        rendered = {key: value for key, value in message.items() if key != "weight"}
        if "tool_calls" in message:
            rendered["tool_calls"] = [
                {
                    **call,
                    "function": {
                        **call["function"],
                        "arguments": orjson.loads(call["function"]["arguments"]),
                    },
                }
                for call in message["tool_calls"]
            ]
        out.append(rendered)
    return out
