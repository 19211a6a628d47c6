from __future__ import annotations

from tuneloop.data.example import Example, build_messages, content_id


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
