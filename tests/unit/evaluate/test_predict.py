from __future__ import annotations

from pathlib import Path

from tests.conftest import TINY_SIZES, banking_rows, spread_weights
from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.predict import predict_labels
from tuneloop.models import load_model_and_tokenizer
from tuneloop.spec import TinyModel
from tuneloop.train.base_model import build_tiny_model


def test_batched_generation_matches_one_at_a_time(tmp_path: Path) -> None:
    """Left padding must not change what the model says."""
    rows = banking_rows(60, labels=3)
    labels = sorted({r["category"] for r in rows})
    build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in rows], tmp_path / "m", labels, seed=1)
    model, tokenizer = load_model_and_tokenizer(str(tmp_path / "m"))
    spread_weights(model, seed=1)  # the built model answers every prompt with an empty string
    examples = [
        Example(build_messages(r["text"], r["category"], "sys"), r["category"], "x") for r in rows[:12]
    ]
    batched = predict_labels(model, tokenizer, examples, labels, 4, 12, scoring="generate", parsing="strict")
    single = predict_labels(model, tokenizer, examples, labels, 4, 1, scoring="generate", parsing="strict")
    outputs = [p.output for p in batched]
    assert all(outputs) and len(set(outputs)) > len(outputs) // 2
    assert outputs == [p.output for p in single]
    for p in batched:  # both rules recorded, the headline is the one asked for
        assert p.parsed is not None and set(p.parsed) == {"strict", "lenient"}
        assert p.predicted == p.parsed["strict"] and p.probabilities is None
    assert [p.gold for p in batched] == [r["category"] for r in rows[:12]]
    assert tokenizer.padding_side == "right"  # restored for training
