"""Predict and score an extract task: one greedy JSON answer per input, read against the schema.

`predict_records` generates greedily up to the card's `max_new_tokens`, checks each output with
`answer_check.check_answer` (the field schema and, for extractive fields, the input text) and
keeps on the prediction the record read, the problems found and, per field, the counts against
the gold record (`field_metrics.compare_values`). An output that breaks the schema is invalid:
`predicted` is None and it scores as the empty record.

`extraction_metrics` gives the field metrics of `field_metrics.py` with bootstrap 95% intervals,
the per-field table, the invalid outputs by reason (the first `INVALID_LISTED` with their text),
the values the text does not hold, and a few outputs beside their gold answers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import numpy as np
from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.evaluate.constrained import schema_constraint
from tuneloop.evaluate.field_metrics import FIELD_METRICS, FieldCounts, compare_values, field_metrics
from tuneloop.evaluate.intervals import with_intervals
from tuneloop.evaluate.predict import Prediction, generate_tokens, in_batches
from tuneloop.extract.answer_check import check_answer
from tuneloop.extract.rows import answer_record
from tuneloop.extract.schema import canonical_answer
from tuneloop.spec import Evaluation
from tuneloop.spec.fields import FieldSpec
from tuneloop.task_card import TaskCard

EXTRACTION_RULE = (
    "greedy {decoding} generation up to {tokens} new tokens, the output read as one JSON record of the schema"
)
DECODING = {"constrained": "schema-constrained", "free": "unconstrained"}
FREE_SAMPLE = 50  # rows decoded without the constraint too, to show what it changes
INVALID_LISTED = 50
SAMPLES = 8


def predict_records(
    model: Any,
    tokenizer: Any,
    examples: list[Example],
    card: TaskCard,
    batch_size: int,
    console: Console | None = None,
    show_progress: bool = True,
) -> list[Prediction]:
    """One greedy answer per example, read as a record and counted field by field; decoded
    inside the schema when the card says `constrained`."""
    fields = card.fields
    allowed = schema_constraint(tokenizer, fields) if card.decoding == "constrained" else None

    def predict(model: Any, batch: list[Example]) -> list[Prediction]:
        generated = generate_tokens(model, tokenizer, batch, card.max_new_tokens, allowed=allowed)
        return [
            record_prediction(e, tokenizer.decode(tokens, skip_special_tokens=True).strip(), fields)
            for e, tokens in zip(batch, generated, strict=True)
        ]

    return in_batches(model, tokenizer, examples, predict, batch_size, "extract", console, show_progress)


def record_prediction(example: Example, output: str, fields: list[FieldSpec]) -> Prediction:
    """The prediction of one output: its record, problems and per-field counts against the gold."""
    checked = check_answer(output, fields, example.text)
    gold = answer_record(example.label) if example.label else {}
    guess = checked.record if checked.valid else None
    counts = {f.name: list(compare_values(f, gold.get(f.name), (guess or {}).get(f.name))) for f in fields}
    return Prediction(
        example.id, example.text, example.label, output,
        canonical_answer(guess, fields) if guess is not None else None, example.slices,
        record=checked.record, field_counts=counts,
        problems=tuple(f"{p.kind}: {p.detail}" for p in checked.problems),
    )  # fmt: skip


def field_scores(predictions: list[Prediction]) -> FieldCounts:
    """The predictions' per-field counts as the intervals and paired tests take them."""
    names = list((predictions[0].field_counts or {}) if predictions else {})
    counts = np.array([[(p.field_counts or {})[n] for n in names] for p in predictions], dtype=np.int64)
    invalid = np.array([p.predicted is None for p in predictions], dtype=bool)
    return FieldCounts(counts.reshape(len(predictions), len(names), 4), invalid)


def extraction_metrics(
    predictions: list[Prediction], fields: list[FieldSpec], evaluation: Evaluation, seed: int, decoding: str
) -> dict[str, Any]:
    """`n`, every field metric with its interval under `ci`, the invalid rate, per field counts,
    the invalid outputs, the unsupported values and a few samples."""
    data = field_scores(predictions)
    measured = with_intervals(data, FIELD_METRICS, evaluation.bootstrap, seed)
    point = field_metrics(data, fields)
    invalid = [p for p in predictions if p.predicted is None]
    reasons = Counter(_kind(p) for p in invalid)
    return {
        **measured,
        "invalid_rate": point["invalid_rate"],
        "per_field": point["per_field"],
        "invalid_outputs": {
            "count": len(invalid),
            "by_reason": dict(reasons.most_common()),
            "rows": [{"id": p.id, "output": p.output, "problem": (p.problems or ("",))[0]} for p in invalid][
                :INVALID_LISTED
            ],
        },
        "not_in_text": sum(
            sum(problem.startswith("not_in_text") for problem in p.problems or ()) for p in predictions
        ),
        "scoring": {
            "method": "generate",
            "decoding": decoding,
            "rule": EXTRACTION_RULE.format(decoding=DECODING[decoding], tokens=evaluation.max_new_tokens),
        },
        "samples": [
            {"id": p.id, "input": p.text, "output": p.output, "gold": p.gold} for p in predictions[:SAMPLES]
        ],
    }


def _kind(prediction: Prediction) -> str:
    first = (prediction.problems or ("invalid",))[0]
    return first.split(":", 1)[0]


def free_sample(
    model: Any,
    tokenizer: Any,
    examples: list[Example],
    constrained: list[Prediction],
    card: TaskCard,
    batch_size: int,
) -> dict[str, Any]:
    """The first `FREE_SAMPLE` rows decoded again without the constraint: the invalid rate and
    field micro-F1 of both decodings on the same rows, and a few outputs that only the
    constraint made valid."""
    n = min(FREE_SAMPLE, len(examples))
    free = predict_records(
        model, tokenizer, examples[:n], replace(card, decoding="free"), batch_size, show_progress=False
    )
    scored = {
        name: field_metrics(field_scores(rows), card.fields)
        for name, rows in (("constrained", constrained[:n]), ("free", free))
    }
    return {
        "n": n,
        **{
            f"{name}_{key}": m[key]
            for name, m in scored.items()
            for key in ("invalid_rate", "field_micro_f1")
        },
        "rescued": [
            {"id": f.id, "free": f.output, "constrained": c.output}
            for f, c in zip(free, constrained[:n], strict=True)
            if f.predicted is None and c.predicted is not None
        ][:SAMPLES],
    }
