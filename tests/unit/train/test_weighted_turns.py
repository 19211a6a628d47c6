"""Chat rows with tool calls and per-turn weights, trained as their weights say: read from the
published sample, through the DatasetVersion, to the tiny model's token masks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from transformers import AutoTokenizer

from tests.conftest import REPO, TINY_SIZES, banking_rows
from tuneloop.data.example import Example, build_messages
from tuneloop.data.ingest import ingest_source
from tuneloop.data.version import DatasetVersion, write_dataset_version
from tuneloop.errors import TuneloopError
from tuneloop.spec import Source, TinyModel
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import build_tiny_model
from tuneloop.train.loss_mask import check_template, find_mask_problems
from tuneloop.train.mixture import PhaseRow, encode

SAMPLE = REPO / "tests" / "assets" / "openai" / "chat_tools_weights.jsonl"

# The tiny model's chat template before tool calls existed: a plain chat must render exactly so.
PLAIN_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|assistant|>\\n' }}{% generation %}{{ message['content'] + '<|end|>' }}{% endgeneration %}"
    "{{ '\\n' }}"
    "{% else %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = banking_rows(40, labels=2)
    return build_tiny_model(
        TinyModel(**TINY_SIZES), [r["text"] for r in rows], tmp_path_factory.mktemp("m") / "b"
    )


@pytest.fixture
def tokenizer(model_dir: Path) -> Any:
    return AutoTokenizer.from_pretrained(model_dir)


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> list[Example]:
    """The sample's kept rows, written to a DatasetVersion and read back."""
    result = ingest_source(Source(path=SAMPLE, format="chat"), TaskCard("generate", [], None), REPO)
    path = tmp_path_factory.mktemp("v") / "v"
    write_dataset_version({"train": result.examples}, result.quarantined, result.read, path)
    loaded = DatasetVersion.load(path).split("train")
    assert loaded == result.examples
    return loaded


def _trained(tokenizer: Any, example: Example) -> tuple[str, int]:
    """The text of the tokens the loss trains, and how many separate spans they form."""
    ((ids, mask),) = encode(tokenizer, [PhaseRow(example, as_text=False)], check_template(tokenizer))
    spans = sum(1 for i, m in enumerate(mask) if m and (i == 0 or not mask[i - 1]))
    return tokenizer.decode([t for t, m in zip(ids, mask, strict=True) if m]), spans


def test_the_loss_mask_covers_exactly_the_weight_1_assistant_turns(
    tokenizer: Any, examples: list[Example]
) -> None:
    marv, drone, weather, developer, factory = examples
    assert _trained(tokenizer, marv) == (
        "Jupiter, obviously. It is only the size of eleven Earths.<|end|>",
        1,
    )
    assert _trained(tokenizer, drone) == (
        '{"name": "takeoff_drone", "arguments": {"altitude": 50}}<|end|>',
        1,
    )
    call = (
        '{"name": "get_current_weather", "arguments": {"location": "Lisbon, Portugal", "format": "celsius"}}'
    )
    assert _trained(tokenizer, weather) == (f"{call}<|end|>It is 21 degrees and clear in Lisbon.<|end|>", 2)
    assert _trained(tokenizer, developer) == ("Blue.<|end|>", 1)
    assert _trained(tokenizer, factory) == ("Bonjour.<|end|>", 1)  # loss_weight 0.0 on "Hello."
    assert find_mask_problems(tokenizer, examples, max_length=1024) == []


def test_tools_and_tool_results_are_rendered_by_the_chat_template(
    tokenizer: Any, examples: list[Example]
) -> None:
    ((ids, _),) = encode(tokenizer, [PhaseRow(examples[2], as_text=False)], check_template(tokenizer))
    text = tokenizer.decode(ids)
    assert text.startswith('<|tools|>\n[{"type": "function", "function": {"name": "get_current_weather"')
    assert '<|tool|>\n{"temperature": 21, "sky": "clear"}<|end|>\n' in text


def test_a_plain_chat_renders_exactly_as_before_tool_calls_existed(tokenizer: Any) -> None:
    chats = [
        build_messages("Where is my card?", "card_arrival", "Classify."),
        [
            *build_messages("hi", "hello", None),
            {"role": "user", "content": "bye"},
            {"role": "assistant", "content": "ok"},
        ],
    ]
    for chat in chats:
        for prompt in (chat, chat[:-1]):
            now = tokenizer.apply_chat_template(
                prompt, tokenize=False, add_generation_prompt=prompt is not chat
            )
            before = tokenizer.apply_chat_template(
                prompt, tokenize=False, add_generation_prompt=prompt is not chat, chat_template=PLAIN_TEMPLATE
            )
            assert now == before
        rows = [PhaseRow(Example(chat, None, "x"), as_text=False)]
        assert list(encode(tokenizer, rows, check_template(tokenizer))) == list(
            encode(tokenizer, rows, PLAIN_TEMPLATE)
        )


def test_rows_with_tools_keep_their_place_in_a_batch(tokenizer: Any, examples: list[Example]) -> None:
    rows = [PhaseRow(e, as_text=False) for e in examples]
    template = check_template(tokenizer)
    assert list(encode(tokenizer, rows, template)) == [next(encode(tokenizer, [r], template)) for r in rows]


def test_a_row_where_no_turn_trains_is_refused_and_one_with_some_weight_0_is_not(tokenizer: Any) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello", "weight": 0},
        {"role": "user", "content": "again"},
        {"role": "assistant", "content": "hello again"},
    ]
    some = Example(messages, None, "d.jsonl:1")
    last_untrained = Example(
        [messages[0], {**messages[1], "weight": 1}, messages[2], {**messages[3], "weight": 0}],
        None,
        "d.jsonl:2",
    )
    none = Example([messages[0], messages[1]], None, "d.jsonl:3")
    problems = find_mask_problems(tokenizer, [some, last_untrained, none], max_length=1024)
    assert [(p.source, p.reason) for p in problems] == [
        ("d.jsonl:3", "every assistant turn has weight 0, so no token is marked for training"),
    ]


def test_a_weight_0_turn_cut_by_truncation_is_not_a_problem(tokenizer: Any) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "tell me more " * 20},
        {"role": "assistant", "content": "no " * 20, "weight": 0},
    ]
    ((_, mask),) = encode(
        tokenizer, [PhaseRow(Example(messages, None, "x"), False)], check_template(tokenizer)
    )
    last_trained = max(i for i, m in enumerate(mask) if m)
    assert find_mask_problems(tokenizer, [Example(messages, None, "x")], max_length=last_trained + 1) == []


def test_a_template_that_cannot_render_tool_calls_is_refused(tokenizer: Any, examples: list[Example]) -> None:
    tokenizer.chat_template = PLAIN_TEMPLATE
    with pytest.raises(
        TuneloopError, match="the row declares tools and has tool calls, but the model's chat"
    ):
        find_mask_problems(tokenizer, examples[1:2], 1024)


def test_weights_need_one_generation_block_per_assistant_turn(
    tokenizer: Any, examples: list[Example]
) -> None:
    split = PLAIN_TEMPLATE.replace(
        "{% generation %}{{ message['content'] + '<|end|>' }}{% endgeneration %}",
        "{% generation %}{{ message['content'] }}{% endgeneration %}{{ ' ' }}"
        "{% generation %}{{ '<|end|>' }}{% endgeneration %}",
    )
    with pytest.raises(TuneloopError, match="marks 4 spans for training but the row has 2 assistant turns"):
        list(encode(tokenizer, [PhaseRow(examples[0], as_text=False)], split))
