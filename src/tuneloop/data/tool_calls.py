"""Tool calls in chat rows, read into one form and checked against the tools the row declares.

A model trained on a call it could never make (a tool the row does not declare, arguments that are
not JSON, a required parameter missing) learns to make that call; OpenAI refuses such a file, and
so does tuneloop, one row at a time: the row is quarantined with the message index and the reason.

Declared tools: OpenAI writes `tools: [{"type": "function", "function": {name, description,
parameters}}]`; LLaMA-Factory writes the function objects bare, and its ShareGPT files hold the
list as JSON text. All three read into OpenAI's form. A call's `function.arguments` is JSON text of
an object (a JSON object given in its place is written as that text). When the tool gives a JSON
Schema for its parameters, the arguments must have each `required` one, no parameter the schema does
not name (unless `additionalProperties` allows it), and top-level values of the declared `type` and
`enum`. This is not a full JSON Schema validator (nested values are not checked), so the project
needs no validator dependency.
"""

from __future__ import annotations

from typing import Any

import orjson

from tuneloop.data.row_problem import RowProblem

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def declared_tools(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The row's `tools` in OpenAI's form ([] when it declares none)."""
    if row.get("functions") is not None:
        raise RowProblem(
            "deprecated_functions",
            "'functions' is OpenAI's deprecated form of 'tools'",
            'write each function as {"type": "function", "function": {...}} in tools',
        )
    if row.get("parallel_tool_calls") is not None and not isinstance(row["parallel_tool_calls"], bool):
        raise RowProblem("wrong_type", "'parallel_tool_calls' must be true or false")
    tools = row.get("tools")
    if isinstance(tools, str):  # LLaMA-Factory's ShareGPT files hold the list as JSON text
        try:
            tools = orjson.loads(tools)
        except orjson.JSONDecodeError as exc:
            raise RowProblem("invalid_tools", f"'tools' is text but not JSON: {exc.msg}") from None
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise RowProblem("wrong_type", "'tools' must be a list of tool objects")
    declared = [_tool(i, tool) for i, tool in enumerate(tools)]
    names = [tool["function"]["name"] for tool in declared]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise RowProblem("invalid_tools", f"tools declares {repeated[0]!r} more than once")
    return declared


def _tool(i: int, tool: Any) -> dict[str, Any]:
    function = tool.get("function", tool) if isinstance(tool, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
        raise RowProblem(
            "invalid_tools",
            f"tools[{i}] must be {{type: function, function: {{name, description, parameters}}}}",
        )
    if tool.get("type", "function") != "function":
        raise RowProblem("invalid_tools", f"tools[{i}].type must be 'function', found {tool['type']!r}")
    if not isinstance(function.get("parameters", {}), dict):
        raise RowProblem("invalid_tools", f"tools[{i}].function.parameters must be a JSON Schema object")
    return {"type": "function", "function": function}


def read_tool_calls(i: int, calls: Any) -> list[dict[str, Any]]:
    """messages[i].tool_calls in canonical form: `{id?, type: function, function: {name, arguments}}`."""
    if not isinstance(calls, list):
        raise RowProblem("wrong_type", f"messages[{i}].tool_calls must be a list of tool calls")
    return [_call(f"messages[{i}].tool_calls[{j}]", call) for j, call in enumerate(calls)]


def _call(where: str, call: Any) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
        raise RowProblem(
            "invalid_tool_call", f"{where} must be {{type: function, function: {{name, arguments}}}}"
        )
    if call.get("type", "function") != "function":
        raise RowProblem("invalid_tool_call", f"{where}.type must be 'function', found {call['type']!r}")
    if call.get("id") is not None and not isinstance(call["id"], str):
        raise RowProblem("invalid_tool_call", f"{where}.id must be a string")
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            parsed = orjson.loads(arguments)
        except orjson.JSONDecodeError as exc:
            raise RowProblem(
                "invalid_tool_call", f"{where}.function.arguments is not valid JSON: {exc.msg}"
            ) from None
    else:
        parsed, arguments = arguments, orjson.dumps(arguments).decode()
    if not isinstance(parsed, dict):
        twice = " (JSON text encoded twice?)" if isinstance(parsed, str) else ""
        raise RowProblem(
            "invalid_tool_call",
            f"{where}.function.arguments must be a JSON object, found {_json_type(parsed)}{twice}",
        )
    canonical: dict[str, Any] = {
        "type": "function",
        "function": {"name": function["name"], "arguments": arguments},
    }
    return {"id": call["id"], **canonical} if call.get("id") is not None else canonical


def check_calls(messages: list[dict[str, Any]], tools: list[dict[str, Any]], parallel: bool) -> None:
    """Every call names a declared tool with arguments its schema allows, at most one call a turn
    when `parallel_tool_calls` is false, and every tool result follows a call it answers."""
    schemas = {tool["function"]["name"]: tool["function"].get("parameters") for tool in tools}
    ids: set[str] = set()
    calls_before = 0
    for i, message in enumerate(messages):
        calls = message.get("tool_calls", [])
        if len(calls) > 1 and not parallel:
            raise RowProblem(
                "invalid_tool_call",
                f"messages[{i}] makes {len(calls)} tool calls but the row sets parallel_tool_calls: false",
            )
        for j, call in enumerate(calls):
            _check_call(f"messages[{i}].tool_calls[{j}]", call["function"], schemas)
        ids.update(call["id"] for call in calls if "id" in call)
        calls_before += len(calls)
        if message["role"] == "tool":
            _check_result(i, message, calls_before, ids)


def _check_call(where: str, function: dict[str, Any], schemas: dict[str, Any]) -> None:
    name = function["name"]
    if schemas and name not in schemas:
        raise RowProblem(
            "unknown_tool",
            f"{where} calls {name!r}, which the row's tools do not declare ({', '.join(sorted(schemas))})",
        )
    schema = schemas.get(name)
    problems = _argument_problems(orjson.loads(function["arguments"]), schema) if schema else []
    if problems:
        raise RowProblem("invalid_arguments", f"{where} ({name}): {'; '.join(problems)}")


def _argument_problems(arguments: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    properties = schema.get("properties")
    problems = [
        f"the required parameter {p!r} is missing" for p in schema.get("required", []) if p not in arguments
    ]
    if isinstance(properties, dict) and schema.get("additionalProperties", False) is False:
        problems += [f"{p!r} is not a parameter of the tool" for p in arguments if p not in properties]
    for name, value in arguments.items():
        declared = properties.get(name) if isinstance(properties, dict) else None
        if isinstance(declared, dict):
            problems += _value_problems(name, value, declared)
    return problems


def _value_problems(name: str, value: Any, schema: dict[str, Any]) -> list[str]:
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if isinstance(kinds, list) and not any(_is(value, kind) for kind in kinds):
        return [f"{name!r} must be {' or '.join(map(str, kinds))}, found {_json_type(value)}"]
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        return [f"{name!r} must be one of {', '.join(map(repr, schema['enum']))}, found {value!r}"]
    return []


def _is(value: Any, kind: Any) -> bool:
    if kind not in _TYPES:
        return True  # a type this check does not know is not held against the row
    if isinstance(value, bool):
        return kind == "boolean"
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[kind])


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    names = {str: "a string", int: "a number", float: "a number", list: "an array", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _check_result(i: int, message: dict[str, Any], calls_before: int, ids: set[str]) -> None:
    if not calls_before:
        raise RowProblem(
            "orphan_tool_result", f"messages[{i}] is a tool result, but no tool call comes before it"
        )
    answers = message.get("tool_call_id")
    if answers is not None and ids and answers not in ids:
        raise RowProblem(
            "orphan_tool_result",
            f"messages[{i}].tool_call_id {answers!r} answers no earlier tool call ({', '.join(sorted(ids))})",
        )
