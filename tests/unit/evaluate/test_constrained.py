"""Constrained decoding keeps a model that answers anything at all inside the JSON Schema: with
random weights, free decoding gives no record, constrained decoding a valid one every time
(enums, dates and lists here: a random model's free strings and numbers can outrun any budget)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import jsonschema
import orjson

from tests.conftest import TINY_SIZES, banking_rows, spread_weights
from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.constrained import schema_constraint
from tuneloop.evaluate.extraction import predict_records
from tuneloop.evaluate.predict import generate_tokens
from tuneloop.extract.schema import json_schema
from tuneloop.models import load_model_and_tokenizer
from tuneloop.spec import TinyModel
from tuneloop.spec.fields import FieldSpec
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import build_tiny_model

FIELDS = [
    FieldSpec(name="kind", type="enum", values=["card", "transfer", "cash"], required=True),
    FieldSpec(name="when", type="date"),
    FieldSpec(name="tags", type="list", items="enum", values=["urgent", "fraud"]),
]


def test_every_constrained_answer_validates_where_free_ones_do_not(tmp_path: Path) -> None:
    rows = banking_rows(40, labels=3)
    build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in rows], tmp_path / "m", [], seed=2)
    model, tokenizer = load_model_and_tokenizer(str(tmp_path / "m"))
    spread_weights(model, seed=2)  # each prompt gets its own (random) answer
    examples = [
        Example(build_messages(r["text"], '{"kind":"card"}', "x"), '{"kind":"card"}', "t") for r in rows[:8]
    ]
    card = TaskCard(
        task="extract",
        labels=[],
        system="x",
        max_new_tokens=64,
        field_schema=[f.model_dump() for f in FIELDS],
    )
    free = predict_records(model, tokenizer, examples, card, 4, show_progress=False)
    constrained = predict_records(
        model,
        tokenizer,
        examples,
        replace(card, decoding="constrained"),
        4,
        show_progress=False,
    )
    assert all(p.predicted is None for p in free)
    schema = json_schema(FIELDS)
    for p in constrained:  # the schema holds; only the calendar is beyond it (April 31 fits the pattern)
        jsonschema.validate(orjson.loads(p.output), schema)
        assert all(problem.startswith("wrong_type: when: a date") for problem in p.problems or ()), p.output
    assert sum(p.predicted is not None for p in constrained) >= len(constrained) // 2
    assert len({p.output for p in constrained}) > 1  # the constraint steers, it does not answer for the model


def test_an_answer_never_ends_inside_an_open_string(tmp_path: Path) -> None:
    """A byte-fragment token (one byte of a character, decoded alone as U+FFFD) made the enforcer
    lose its place and allow the end token mid-string (found serving a random model: the answer
    `{"company":"\ufffd som` ended there). Such tokens are out of the vocabulary: every answer that
    ends is a whole record; one that does not ran out of tokens."""
    rows = banking_rows(40, labels=3)
    build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in rows], tmp_path / "m", [], seed=2)
    model, tokenizer = load_model_and_tokenizer(str(tmp_path / "m"))
    allowed = schema_constraint(tokenizer, [FieldSpec(name="company"), FieldSpec(name="city")])
    ended = 0
    for seed in range(6):
        spread_weights(model, seed=seed)
        examples = [Example(build_messages(r["text"], "{}", "x"), "{}", "t") for r in rows[:4]]
        for ids in generate_tokens(model, tokenizer, examples, 24, allowed=allowed):
            if ids and ids[-1] == tokenizer.eos_token_id:
                ended += 1
                record = orjson.loads(tokenizer.decode(ids, skip_special_tokens=True))
                assert set(record) <= {"company", "city"}
    assert ended > 0
