"""Templates without generation markers train by rendered prefixes: each trained assistant turn's
answer and end token, nothing of the prompt, nothing of a weight-0 turn."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from tests.conftest import TINY_SIZES, banking_rows
from tuneloop.data.example import Example
from tuneloop.errors import TuneloopError
from tuneloop.spec import TinyModel
from tuneloop.train.base_model import build_tiny_model
from tuneloop.train.turn_spans import encode_by_prefix, end_of_turn_trained

ROWS = banking_rows(30, labels=2)
CHATML = (
    "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + '<|end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> object:
    path: Path = tmp_path_factory.mktemp("m") / "base"
    build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in ROWS], path, [])
    return AutoTokenizer.from_pretrained(path)


def _trained(tokenizer: object, example: Example, template: str = CHATML) -> list[str]:
    """The trained runs of text, in order."""
    [(ids, mask)] = encode_by_prefix(tokenizer, [example], template)
    runs: list[list[int]] = []
    for i, (token, m) in enumerate(zip(ids, mask, strict=True)):
        if m:
            if i == 0 or not mask[i - 1]:
                runs.append([])
            runs[-1].append(token)
    return [tokenizer.decode(run) for run in runs]  # type: ignore[attr-defined]


def test_every_assistant_turn_trains_its_answer_and_end_token(tokenizer: object) -> None:
    chat = Example(
        [
            {"role": "user", "content": "where is my card"},
            {"role": "assistant", "content": "on its way"},
            {"role": "user", "content": "thanks"},
            {"role": "assistant", "content": "you are welcome"},
        ],
        None,
        "c.jsonl:1",
    )
    assert _trained(tokenizer, chat) == ["on its way<|end|>\n", "you are welcome<|end|>\n"]


def test_a_turn_of_weight_zero_is_context_only(tokenizer: object) -> None:
    chat = Example(
        [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "a bad answer", "weight": 0},
            {"role": "user", "content": "again"},
            {"role": "assistant", "content": "a good answer"},
        ],
        None,
        "c.jsonl:2",
    )
    assert _trained(tokenizer, chat) == ["a good answer<|end|>\n"]


def test_ids_are_the_whole_chat_tokenized_once(tokenizer: object) -> None:
    chat = Example(
        [{"role": "user", "content": "my card"}, {"role": "assistant", "content": "card"}], "card", "c:3"
    )
    [(ids, _)] = encode_by_prefix(tokenizer, [chat], CHATML)
    text = tokenizer.apply_chat_template(chat.messages, chat_template=CHATML, tokenize=False)  # type: ignore[attr-defined]
    assert ids == tokenizer(text, add_special_tokens=False)["input_ids"]  # type: ignore[operator]


def test_a_template_that_renders_a_prefix_differently_is_refused(tokenizer: object) -> None:
    # the last message is rendered apart from the others: a prefix of the chat is not a prefix of its text
    odd = (
        "{% for m in messages %}{% if loop.last %}{{ '<<' + m['content'] + '>>' }}"
        "{% else %}{{ '<|' + m['role'] + '|>' + m['content'] + '<|end|>' }}{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
    )
    chat = Example(
        [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
            {"role": "assistant", "content": "d"},
        ],
        None,
        "c.jsonl:7",
    )
    with pytest.raises(TuneloopError, match=r"c.jsonl:7 .*assistant turn 1 differently"):
        encode_by_prefix(tokenizer, [chat], odd)


def test_the_end_of_turn_check_reads_the_rendered_answer(tokenizer: object) -> None:
    assert end_of_turn_trained(tokenizer, CHATML)
    no_end = CHATML.replace("'<|end|>\\n'", "'\\n'")
    assert not end_of_turn_trained(tokenizer, no_end)
