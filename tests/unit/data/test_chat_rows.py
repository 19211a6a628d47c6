"""OpenAI chat fine-tuning rows as published today: read, kept in canonical form, or quarantined
with the file, line, message index and reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tuneloop.data.chat_rows import read_chat_row, template_messages
from tuneloop.data.checks.base import CheckedRow
from tuneloop.data.ingest import ingest_source
from tuneloop.data.prepare_policy import _cleaned
from tuneloop.data.row_problem import RowProblem
from tuneloop.spec import Source
from tuneloop.task_card import TaskCard

SAMPLE = REPO / "tests" / "assets" / "openai" / "chat_tools_weights.jsonl"
GENERATE = TaskCard(task="generate", labels=[], system=None)


def _problem(row: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(RowProblem) as err:
        read_chat_row(row, None)
    return err.value.code, err.value.message


def _chat(*messages: dict[str, Any], **keys: Any) -> dict[str, Any]:
    return {"messages": list(messages), **keys}


USER = {"role": "user", "content": "hi"}
ANSWER = {"role": "assistant", "content": "hello"}


def test_the_published_sample_keeps_its_good_rows_and_names_each_bad_one() -> None:
    result = ingest_source(Source(path=SAMPLE, format="chat"), GENERATE, REPO)
    assert result.read == 8 and [e.source.rsplit(":")[-1] for e in result.examples] == list("12345")
    name = "tests/assets/openai/chat_tools_weights.jsonl"
    assert [(f.file, f.line, f.code, f.message) for f in result.findings] == [
        (
            name,
            6,
            "invalid_tool_call",
            "messages[2].tool_calls[0].function.arguments must be a JSON object, found a string "
            "(JSON text encoded twice?)",
        ),
        (
            name,
            7,
            "unknown_tool",
            "messages[2].tool_calls[0] calls 'control_camera', which the row's tools do not declare "
            "(land_drone, reject_request, takeoff_drone)",
        ),
        (
            name,
            8,
            "invalid_arguments",
            "messages[1].tool_calls[0] (get_current_weather): the required parameter 'location' is "
            "missing; 'format' must be one of 'celsius', 'fahrenheit', found 'kelvin'",
        ),
    ]
    assert all(f.severity == "error" for f in result.findings)


def test_weights_tool_calls_tool_results_and_tools_survive_in_canonical_form() -> None:
    marv, drone, weather, developer, factory = ingest_source(
        Source(path=SAMPLE, format="chat"), GENERATE, REPO
    ).examples
    assert [m.get("weight") for m in marv.messages] == [None, None, 0, None, None]
    assert marv.label == "Jupiter, obviously. It is only the size of eleven Earths."
    (call,) = drone.messages[-1]["tool_calls"]
    assert drone.messages[-1]["content"] == ""
    assert call == {
        "id": "call_id",
        "type": "function",
        "function": {"name": "takeoff_drone", "arguments": '{"altitude": 50}'},
    }
    assert drone.label == '{"name": "takeoff_drone", "arguments": {"altitude": 50}}' == drone.answer
    assert [t["function"]["name"] for t in drone.tools] == ["takeoff_drone", "land_drone", "reject_request"]
    assert [m["role"] for m in weather.messages] == ["user", "assistant", "tool", "assistant"]
    assert weather.messages[2] == {
        "role": "tool",
        "content": '{"temperature": 21, "sky": "clear"}',
        "tool_call_id": "call_weather",
    }
    assert developer.messages[0] == {"role": "system", "content": "Answer in one word."}
    assert developer.text == "Which colour is the sky on a clear day?" and developer.label == "Blue."
    assert [m.get("weight") for m in factory.messages] == [None, 0, None, None]  # loss_weight read as weight


def test_the_task_system_prompt_goes_first_only_without_a_system_or_developer_message() -> None:
    row = _chat({"role": "developer", "content": "Be brief."}, USER, ANSWER)
    assert read_chat_row(row, "Classify.").messages[0] == {"role": "system", "content": "Be brief."}
    assert read_chat_row(_chat(USER, ANSWER), "Classify.").messages[0]["content"] == "Classify."


def test_a_plain_chat_reads_exactly_as_before() -> None:
    row = _chat(
        {"role": "user", "content": " Where is my card? "}, {"role": "assistant", "content": "card_arrival"}
    )
    chat = read_chat_row(row, None)
    assert chat.messages == [
        {"role": "user", "content": "Where is my card?"},
        {"role": "assistant", "content": "card_arrival"},
    ]
    assert (chat.label, chat.tools) == ("card_arrival", [])


@pytest.mark.parametrize(
    ("messages", "code", "message"),
    [
        ([USER, {"role": "assistant"}], "missing_field", "messages[1] has no 'content'"),
        (
            [USER, {"role": "assistant", "content": None}],
            "wrong_type",
            "messages[1].content is null; only an assistant turn that calls tools may have none",
        ),
        ([USER, {"role": "assistant", "content": 3}], "wrong_type", "messages[1].content must be a string"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x.png"}}]}, ANSWER],
            "unsupported_content",
            "messages[0].content[0] is a part of type 'image_url'; tuneloop trains on text only",
        ),
        (
            [{"role": "user", "content": [{"type": "text"}]}, ANSWER],
            "wrong_type",
            "messages[0].content[0] must hold its text as a string in 'text' (or 'value')",
        ),
        ([{"role": "user", "content": []}, ANSWER], "empty_text", "messages[0].content is empty"),
        ([{"role": "robot", "content": "x"}, ANSWER], "unknown_role", "messages[0].role must be one of"),
        ([USER, {**ANSWER, "weight": 0.5}], "invalid_weight", "messages[1].weight must be 0 or 1, found 0.5"),
        (
            [USER, {**ANSWER, "weight": True}],
            "invalid_weight",
            "messages[1].weight must be 0 or 1, found true",
        ),
        (
            [USER, {**ANSWER, "weight": 1, "loss_weight": 0}],
            "invalid_weight",
            "messages[1] has weight and loss_weight that disagree",
        ),
        (
            [{**USER, "weight": 1}, ANSWER],
            "invalid_weight",
            "messages[0] is a user message with weight 1; only assistant turns are trained",
        ),
        (
            [USER, {**ANSWER, "weight": 0}],
            "no_trained_turn",
            "every assistant turn has weight 0, so the row trains nothing",
        ),
        (
            [{**USER, "tool_calls": [{"type": "function"}]}, ANSWER],
            "wrong_type",
            "messages[0] is a user message; tool_calls belongs on assistant messages",
        ),
        (
            [USER, {**ANSWER, "function_call": {"name": "f", "arguments": "{}"}}],
            "deprecated_function_call",
            "messages[1].function_call is OpenAI's deprecated form of a tool call",
        ),
    ],
)
def test_a_message_that_breaks_a_rule_is_named_with_its_index(
    messages: list[dict[str, Any]], code: str, message: str
) -> None:
    found = _problem(_chat(*messages))
    assert found[0] == code and found[1].startswith(message)


def test_weight_0_stays_on_assistant_turns_only_and_1_is_the_default() -> None:
    row = _chat(
        {**USER, "weight": 0}, {**ANSWER, "weight": 0}, USER, {**ANSWER, "weight": 1, "loss_weight": 1.0}
    )
    assert [m.get("weight") for m in read_chat_row(row, None).messages] == [None, 0, None, None]


def test_template_messages_give_arguments_as_objects_and_drop_weights() -> None:
    row = _chat(
        USER,
        {**ANSWER, "weight": 0},
        USER,
        {
            "role": "assistant",
            "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}],
        },
    )
    messages = read_chat_row(row, None).messages
    assert messages[-1]["tool_calls"][0]["function"]["arguments"] == '{"a":1}'  # an object becomes JSON text
    rendered = template_messages(messages)
    assert rendered[1] == ANSWER and rendered[-1]["tool_calls"][0]["function"]["arguments"] == {"a": 1}
    assert messages[1]["weight"] == 0  # the example itself is untouched


def test_a_row_that_is_not_a_chat_says_what_is_missing(tmp_path: Path) -> None:
    assert _problem({"rows": []}) == ("missing_field", "the field 'messages' is missing")
    assert _problem({"messages": "nope"})[0] == "wrong_type"


def test_prepare_and_the_checks_keep_what_a_tool_row_says() -> None:
    drone = ingest_source(Source(path=SAMPLE, format="chat"), GENERATE, REPO).examples[1]
    system, question, takeoff = drone.messages
    land = {
        **takeoff,
        "tool_calls": [{"type": "function", "function": {"name": "land_drone", "arguments": "{}"}}],
    }
    # the same question with another call is another answer, so not a duplicate of it
    assert (
        CheckedRow(0, drone, "f", 1).answer
        != CheckedRow(1, replace(drone, messages=[system, question, land]), "f", 2).answer
    )
    messy = replace(drone, messages=[system, {"role": "user", "content": "Up  50 m!"}, takeoff], id="")
    cleaned, normalised, _ = _cleaned(messy, normalise=True, redact_pii=True, labelled=False)
    assert normalised and cleaned.tools == drone.tools and cleaned.messages[2] == takeoff
