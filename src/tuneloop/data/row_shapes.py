"""Row shapes: the record layouts other tools publish, told apart and mapped to chat messages.

A record (a JSON object, a CSV or Parquet row) is one of:
- `tabular`: the spec's text (and label) fields;
- `chat`: OpenAI chat rows, `messages` (data/chat_rows.py reads them);
- `alpaca`: `instruction`, `input`, `output`, optional `system` and `history` ([[user, assistant], ...]);
- `sharegpt`: `conversations` of `{from, value}` turns, optional `system` and `tools`, read as the
  OpenAI chat row they stand for (function_call → a tool call, observation → its result);
- `preference`: DPO pairs or KTO ratings (data/preference.py), which only kto and dpo phases train.

`row_shape` tells them apart by their keys where the spec's fields name no key the record has; the
mappers return chat messages or raise `RowProblem` saying where in the row the problem is.
"""

from __future__ import annotations

from typing import Any

import orjson

from tuneloop.data.chat_rows import ChatRow, read_chat_row
from tuneloop.data.row_problem import RowProblem
from tuneloop.spec.data import CONVERSATION_FORMATS

# ShareGPT's `from` values (LLaMA-Factory's tags) and the chat roles they become.
SHAREGPT_ROLES = {
    "human": "user",
    "gpt": "assistant",
    "system": "system",
    "function_call": "assistant",
    "observation": "tool",
}
CHAT_ROLES = ("system", "user", "assistant")
_COMMON_KEYS = frozenset({"id", "meta", "metadata", "source"})
KNOWN_KEYS = {
    "alpaca": _COMMON_KEYS | {"instruction", "input", "output", "system", "history"},
    "sharegpt": _COMMON_KEYS | {"conversations", "system", "tools"},
}


def row_shape(row: dict[str, Any], fmt: str | None, text_field: str) -> str:
    """What the record is: the spec's tabular fields when it has the text field (and the format
    names no row shape); else preference keys (`chosen`/`rejected`, a boolean `label`, `kto_tag`)
    win; else the format's shape; else `messages`, `conversations` or `instruction` + `output`."""
    if fmt not in CONVERSATION_FORMATS and text_field in row:
        return "tabular"
    if is_preference(row):
        return "preference"
    if fmt in CONVERSATION_FORMATS:
        return fmt
    if "messages" in row:
        return "chat"
    if "conversations" in row:
        return "sharegpt"
    if "instruction" in row and "output" in row:
        return "alpaca"
    return "tabular"


def is_preference(row: dict[str, Any]) -> bool:
    return "chosen" in row or "rejected" in row or "kto_tag" in row or isinstance(row.get("label"), bool)


def alpaca_messages(row: dict[str, Any], system: str | None) -> list[dict[str, Any]]:
    """An Alpaca row as chat messages: system, the history's turns, the prompt, then the output."""
    turns = [*alpaca_history(row), {"role": "user", "content": alpaca_prompt(row)}]
    turns.append({"role": "assistant", "content": required_text(row, "output", "the Alpaca field")})
    return conversation(row, turns, system)


def sharegpt_chat(row: dict[str, Any], system: str | None) -> ChatRow:
    """A ShareGPT row read as the OpenAI chat row it stands for, so its tools and tool calls are
    checked as those are. `conversations[i]` is `messages[i]` there; problems say `conversations[i]`."""
    turns = sharegpt_turns(row.get("conversations"), "conversations")
    tools = row.get("tools")
    chat = {"messages": turns, "tools": None if isinstance(tools, str) and not tools.strip() else tools}
    try:
        return read_chat_row(chat, _own_system(row, turns) or system)
    except RowProblem as problem:
        message = problem.message.replace("messages[", "conversations[")
        raise RowProblem(problem.code, message, problem.fix) from None


def conversation(
    row: dict[str, Any], turns: list[dict[str, Any]], system: str | None
) -> list[dict[str, Any]]:
    """`turns` after the row's `system` (else the task's system prompt, unless a turn is one); the
    turns must hold a user message."""
    if not any(t["role"] == "user" for t in turns):
        raise RowProblem("no_user_message", "the conversation has no user message")
    prompt = _own_system(row, turns) or (system if turns[0]["role"] != "system" else None)
    return ([{"role": "system", "content": prompt}] if prompt else []) + turns


def _own_system(row: dict[str, Any], turns: list[dict[str, Any]]) -> str:
    own = optional_text(row, "system", "the field")
    if own and turns and turns[0]["role"] == "system":
        raise RowProblem("wrong_type", "the row has a 'system' field and a system turn: keep one")
    return own


def alpaca_prompt(row: dict[str, Any]) -> str:
    """The user turn: the instruction, then a blank line and the input when there is one."""
    instruction = optional_text(row, "instruction", "the Alpaca field")
    extra = optional_text(row, "input", "the Alpaca field")
    if not instruction:
        if extra:
            raise RowProblem(
                "empty_text",
                "the Alpaca field 'instruction' is empty but 'input' is not: the prompt is the "
                "instruction, then the input",
                "put the request in 'instruction' (an input alone says nothing to do)",
            )
        raise absent(row, "instruction", "the Alpaca field")
    return f"{instruction}\n\n{extra}" if extra else instruction


def alpaca_history(row: dict[str, Any]) -> list[dict[str, str]]:
    history = row.get("history")
    if history is None:
        return []
    if not isinstance(history, list):
        raise RowProblem("wrong_type", "'history' must be a list of [user, assistant] pairs")
    turns = []
    for i, pair in enumerate(history):
        ok = isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair)
        if not ok:
            raise RowProblem("wrong_type", f"history[{i}] must be a [user, assistant] pair of strings")
        for role, text in zip(("user", "assistant"), pair, strict=True):
            if not text.strip():
                raise RowProblem("empty_text", f"history[{i}] has an empty {role} turn")
            turns.append({"role": role, "content": text.strip()})
    return turns


def sharegpt_turns(turns: Any, key: str) -> list[dict[str, Any]]:
    """ShareGPT `{from, value}` turns as canonical chat messages: human → user, gpt → assistant,
    system → system, function_call → an assistant turn calling the tool(s) its value names
    (`{"name", "arguments"}`, or a list of them), observation → the tool's result."""
    messages = []
    for i, turn in enumerate(_turn_list(turns, key, "{from, value}")):
        where = f"{key}[{i}]"
        speaker = turn.get("from")
        if speaker not in SHAREGPT_ROLES:
            raise RowProblem(
                "unknown_role",
                f"{where}.from must be one of {', '.join(SHAREGPT_ROLES)}, found {speaker!r}",
                "use ShareGPT's tags (human, gpt, system, function_call, observation)",
            )
        content = required_text(turn, "value", f"{where} field")
        if speaker == "function_call":
            messages.append({"role": "assistant", "content": "", "tool_calls": _calls(content, where)})
        else:
            messages.append({"role": SHAREGPT_ROLES[speaker], "content": content})
    return messages


def _calls(value: str, where: str) -> list[dict[str, Any]]:
    """A function_call turn's value as canonical tool calls (the arguments as JSON text)."""
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        problem = f"{where}: a function_call's value is not JSON ({exc.msg})"
        raise RowProblem("invalid_tool_call", problem) from None
    calls = parsed if isinstance(parsed, list) else [parsed]
    if not calls or not all(isinstance(c, dict) and isinstance(c.get("name"), str) for c in calls):
        raise RowProblem(
            "invalid_tool_call",
            f"{where}: a function_call's value must be "
            '{"name": ..., "arguments": {...}} (or a list of them)',
        )
    return [{"type": "function", "function": {"name": c["name"], "arguments": _json_text(c)}} for c in calls]


def _json_text(call: dict[str, Any]) -> str:
    arguments = call.get("arguments", {})
    return arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode()


def chat_turns(turns: Any, key: str) -> list[dict[str, str]]:
    """Plain `{role, content}` turns (system, user, assistant) with text content."""
    messages = []
    for i, turn in enumerate(_turn_list(turns, key, "{role, content}")):
        role = turn.get("role")
        if role not in CHAT_ROLES:
            raise RowProblem(
                "unknown_role", f"{key}[{i}].role must be one of {', '.join(CHAT_ROLES)}, found {role!r}"
            )
        messages.append({"role": role, "content": required_text(turn, "content", f"{key}[{i}] field")})
    return messages


def _turn_list(turns: Any, key: str, layout: str) -> list[dict[str, Any]]:
    if turns is None:
        raise RowProblem("missing_field", f"the field {key!r} is missing")
    if not isinstance(turns, list) or not turns:
        raise RowProblem("wrong_type", f"{key!r} must be a non-empty list of {layout} objects")
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise RowProblem("wrong_type", f"{key}[{i}] must be an object")
    return turns


def required_text(row: dict[str, Any], key: str, what: str) -> str:
    text = optional_text(row, key, what)
    if not text:
        raise absent(row, key, what)
    return text


def absent(row: dict[str, Any], key: str, what: str) -> RowProblem:
    """The problem with a text field that is missing (or null) or empty."""
    if row.get(key) is None:
        return RowProblem("missing_field", f"{what} {key!r} is missing")
    return RowProblem("empty_text", f"{what} {key!r} is empty")


def optional_text(row: dict[str, Any], key: str, what: str) -> str:
    """The stripped string at `key`; "" when it is missing or null."""
    value = row.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowProblem("wrong_type", f"{what} {key!r} must be a string, found {type(value).__name__}")
    return value.strip()


def unknown_keys(row: dict[str, Any], shape: str, slices: list[str]) -> list[str]:
    """Keys of an Alpaca or ShareGPT row (and of its turns) that its format does not know."""
    known = KNOWN_KEYS[shape] | set(slices)
    found = [repr(key) for key in row if key not in known]
    if shape == "sharegpt":
        for i, turn in enumerate(row["conversations"]):
            found += [f"conversations[{i}].{key!r}" for key in turn if key not in ("from", "value")]
    return found
