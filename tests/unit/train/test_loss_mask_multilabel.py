"""A multilabel row trains its canonical label list, and the loss-mask guard applies unchanged."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from tests.conftest import TINY_SIZES
from tuneloop.data.example import Example
from tuneloop.data.ingest import ingest_source
from tuneloop.spec import FieldMap, Source, TinyModel
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import build_tiny_model
from tuneloop.train.loss_mask import check_template, find_mask_problems
from tuneloop.train.mixture import PhaseRow, encode

LABELS = ["why", "wrong_notworking_notshowing", "transfer_payment_deposit", "cheque", "card", "pin"]
CARD = TaskCard(task="multilabel", labels=LABELS, system="List the intent modules.", label_field="intents")
ROWS = [
    '{"text": "why is my cheque payment still pending?", "intents": ["cheque", "why", '
    '"transfer_payment_deposit", "wrong_notworking_notshowing"]}',
    '{"text": "I forgot my pin", "intents": ["pin"]}',
    '{"text": "hello there"}',
]


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> list[Example]:
    path = tmp_path_factory.mktemp("d") / "rows.jsonl"
    path.write_text("\n".join(ROWS) + "\n")
    source = Source(path=path, fields=FieldMap(text="text", label="intents"))
    return ingest_source(source, CARD, path.parent).examples


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory, examples: list[Example]) -> object:
    path = tmp_path_factory.mktemp("m") / "base"
    build_tiny_model(TinyModel(**TINY_SIZES), [e.text for e in examples], path, LABELS)
    return AutoTokenizer.from_pretrained(path)


def test_the_trained_tokens_are_the_canonical_list_and_the_end_of_turn(
    tokenizer: object, examples: list[Example]
) -> None:
    assert find_mask_problems(tokenizer, examples, max_length=128) == []
    trained = [
        tokenizer.decode([i for i, m in zip(ids, mask, strict=True) if m])  # type: ignore[attr-defined]
        for ids, mask in encode(
            tokenizer, [PhaseRow(e, as_text=False) for e in examples], check_template(tokenizer)
        )
    ]
    assert trained == [
        "why, wrong_notworking_notshowing, transfer_payment_deposit, cheque<|end|>",
        "pin<|end|>",
        "none<|end|>",
    ]


def test_truncation_that_cuts_a_label_list_is_caught_by_the_same_guard(
    tokenizer: object, examples: list[Example]
) -> None:
    encoded = tokenizer.apply_chat_template(examples[0].messages, return_dict=True)  # type: ignore[attr-defined]
    full = len(encoded["input_ids"])
    (problem,) = find_mask_problems(tokenizer, examples[:1], max_length=full - 3)
    assert problem.source == "rows.jsonl:1"
    assert "cuts the answer before its end-of-turn token" in problem.reason
