from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.conftest import TINY_SIZES, banking_rows
from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.predict import label_mapper, predict_labels
from tuneloop.label_text import normalise
from tuneloop.spec import TinyModel
from tuneloop.train.base_model import build_tiny_model, load_model_and_tokenizer


@pytest.mark.parametrize(
    ("output", "label"),
    [
        ("card_arrival", "card_arrival"),
        ("  Card Arrival. ", "card_arrival"),
        ("reverted card payment", "reverted_card_payment?"),
        ("Refund_not_showing_up", "Refund_not_showing_up"),
        ("card", None),
        ("card_arrival card_arrival", None),
        ("", None),
    ],
)
def test_outputs_map_to_labels_by_the_stated_rule(output: str, label: str | None) -> None:
    mapper = label_mapper(["card_arrival", "reverted_card_payment?", "Refund_not_showing_up"])
    assert mapper.get(normalise(output)) == label


def test_batched_generation_matches_one_at_a_time(tmp_path: Path) -> None:
    """Left padding must not change what the model says."""
    rows = banking_rows(60, labels=3)
    labels = sorted({r["category"] for r in rows})
    build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in rows], tmp_path / "m", labels, seed=1)
    model, tokenizer = load_model_and_tokenizer(str(tmp_path / "m"))
    torch.manual_seed(0)
    examples = [
        Example(build_messages(r["text"], r["category"], "sys"), r["category"], "x") for r in rows[:12]
    ]
    batched = predict_labels(model, tokenizer, examples, labels, max_new_tokens=4, batch_size=12)
    single = predict_labels(model, tokenizer, examples, labels, max_new_tokens=4, batch_size=1)
    assert [p.output for p in batched] == [p.output for p in single]
    assert [p.gold for p in batched] == [r["category"] for r in rows[:12]]
    assert tokenizer.padding_side == "right"  # restored for training
