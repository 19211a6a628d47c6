from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from tests.conftest import TINY_SIZES, banking_rows
from tuneloop.data.example import Example, build_messages
from tuneloop.errors import TuneloopError
from tuneloop.spec import TinyModel
from tuneloop.train.base_model import build_tiny_model
from tuneloop.train.loss_mask import check_template, find_mask_problems, verify_loss_mask
from tuneloop.train.mixture import PhaseRow, encode

ROWS = banking_rows(40, labels=2)
LABELS = sorted({r["category"] for r in ROWS})
UNMARKED = (  # a ChatML-like template without {% generation %} markers, as most community models have
    "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + '<|end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("m") / "base"
    return build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in ROWS], path, LABELS)


@pytest.fixture
def tokenizer(model_dir: Path) -> object:
    """A fresh copy per test: some tests replace its chat template."""
    return AutoTokenizer.from_pretrained(model_dir)


def _examples(texts: list[str]) -> list[Example]:
    return [
        Example(build_messages(t, LABELS[0], "Classify."), LABELS[0], f"d.csv:{i + 2}")
        for i, t in enumerate(texts)
    ]


def test_well_formed_examples_pass(tokenizer: object) -> None:
    assert find_mask_problems(tokenizer, _examples([r["text"] for r in ROWS]), max_length=128) == []


def test_truncation_that_removes_or_cuts_the_answer_names_each_row(tokenizer: object) -> None:
    long = "my card " * 60
    examples = _examples(["short one", long, "short two"])
    encoded = tokenizer.apply_chat_template(examples[1].messages, return_dict=True)  # type: ignore[attr-defined]
    length = len(encoded["input_ids"])
    problems = find_mask_problems(tokenizer, examples, max_length=40)
    assert [(p.source, p.id) for p in problems] == [("d.csv:3", examples[1].id)]
    assert (
        problems[0].reason == f"truncation to max_length 40 removes the whole answer ({length} tokens in all)"
    )
    # answer tokens are [label, <|end|>]: a limit between them keeps the label and drops the end token
    cut = find_mask_problems(tokenizer, examples[1:2], max_length=length - 2)
    assert "cuts the answer before its end-of-turn token" in cut[0].reason


def test_verify_fails_with_the_rows_and_how_to_fix_it(tokenizer: object) -> None:
    examples = _examples(["fine", "card " * 80])
    with pytest.raises(TuneloopError) as err:
        verify_loss_mask(find_mask_problems(tokenizer, examples, 30), len(examples), "task")
    message = str(err.value)
    assert message.startswith(
        "phase 'task': 1 of 2 examples would not train their full answer; raise the phase"
    )
    assert "d.csv:3" in message and "d.csv:2" not in message


def test_a_template_without_generation_markers_trains_the_answer_and_its_end_token(tokenizer: object) -> None:
    tokenizer.chat_template = UNMARKED  # type: ignore[attr-defined]
    examples = _examples(["hi", "my card"])
    assert find_mask_problems(tokenizer, examples, 64) == []
    for ids, mask in encode(
        tokenizer, [PhaseRow(e, as_text=False) for e in examples], check_template(tokenizer)
    ):
        trained = tokenizer.decode([i for i, m in zip(ids, mask, strict=True) if m])  # type: ignore[attr-defined]
        assert trained == f"{LABELS[0]}<|end|>\n"


def test_an_unmarked_template_whose_answer_ends_without_the_end_token_is_refused(tokenizer: object) -> None:
    tokenizer.chat_template = (  # type: ignore[attr-defined]
        "{% for m in messages %}{% if m['role'] == 'assistant' %}{{ '<|assistant|>\\n' + m['content'] }}"
        "{% else %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + '<|end|>\\n' }}{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
    )
    with pytest.raises(TuneloopError, match="end-of-turn token out of the loss"):
        find_mask_problems(tokenizer, _examples(["hi"]), 64)


def test_a_template_that_does_not_train_the_end_token_is_refused(tokenizer: object) -> None:
    tokenizer.chat_template = (  # type: ignore[attr-defined]
        "{% for m in messages %}{% if m['role'] == 'assistant' %}{{ '<|assistant|>\\n' }}"
        "{% generation %}{{ m['content'] }}{% endgeneration %}{{ '<|end|>\\n' }}"
        "{% else %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + '<|end|>\\n' }}{% endif %}{% endfor %}"
    )
    with pytest.raises(TuneloopError, match="end-of-turn token out of the loss"):
        find_mask_problems(tokenizer, _examples(["hi"]), 64)
