"""Predict and score a generate task: one greedy output per input, judged against its references.

`predict_texts` generates greedily up to the card's `max_new_tokens` (a generate task's default is
`spec.evaluation.GENERATE_TOKENS`), keeps every reference of the input on the prediction, whether
generation ended by itself (`finished`; False: cut off by the budget), and, where the input is a
meaning representation, what the output does with each attribute (`fidelity.py`).

`generation_metrics` gives the text metrics of `text_metrics.py` with bootstrap 95% intervals, and
the checks a person reads beside them: empty outputs (also the `invalid_rate`: an empty output is
no answer), outputs cut off by the token budget, outputs that copy their input, and (with
structured inputs) the per-attribute fidelity table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.data.normalise import dedup_text
from tuneloop.evaluate.fidelity import fidelity_of, fidelity_table
from tuneloop.evaluate.intervals import with_intervals
from tuneloop.evaluate.predict import Prediction, generate_tokens, in_batches
from tuneloop.evaluate.text_metrics import TEXT_METRICS, text_scores
from tuneloop.spec import Evaluation

GENERATION_RULE = "greedy generation up to {tokens} new tokens, scored against every reference of the input"
SAMPLES = 8  # outputs kept beside their references in metrics.json (the report shows them)


def predict_texts(
    model: Any,
    tokenizer: Any,
    examples: list[Example],
    max_new_tokens: int,
    batch_size: int,
    console: Console | None = None,
    show_progress: bool = True,
) -> list[Prediction]:
    """One greedy output per example, with its references and what it does with the input."""
    end = tokenizer.eos_token_id

    def predict(model: Any, batch: list[Example]) -> list[Prediction]:
        out = []
        for e, tokens in zip(batch, generate_tokens(model, tokenizer, batch, max_new_tokens), strict=True):
            text = tokenizer.decode(tokens, skip_special_tokens=True).strip()
            references = e.references or ((e.answer,) if e.answer else ())
            out.append(
                Prediction(
                    e.id, e.text, references[0] if references else None, text, None, e.slices,
                    references=tuple(references), finished=bool(tokens) and tokens[-1] == end,
                    fidelity=fidelity_of(e.text, text),
                )
            )  # fmt: skip
        return out

    return in_batches(model, tokenizer, examples, predict, batch_size, "generate", console, show_progress)


def generation_metrics(predictions: list[Prediction], evaluation: Evaluation, seed: int) -> dict[str, Any]:
    """`n`, every text metric (and the slot error rate where inputs are structured) with its
    interval under `ci`, the checks on the outputs, the fidelity table and a few samples."""
    scores = text_scores(predictions)
    metrics = [*TEXT_METRICS, *(["slot_error_rate"] if scores.slots is not None else [])]
    measured = with_intervals(scores, metrics, evaluation.bootstrap, seed)
    n = max(len(predictions), 1)
    empty = [p for p in predictions if not p.output]
    checks = {
        "empty": len(empty),
        "truncated": sum(p.finished is False for p in predictions),
        "copied_input": sum(
            bool(p.output) and dedup_text(p.output) == dedup_text(p.text) for p in predictions
        ),
    }
    return {
        **measured,
        "invalid_rate": len(empty) / n,
        "checks": checks,
        "references": {
            "total": sum(len(p.references or ()) for p in predictions),
            "per_input": float(np.mean([len(p.references or ()) for p in predictions]))
            if predictions
            else 0.0,
        },
        "scoring": {"method": "generate", "rule": GENERATION_RULE.format(tokens=evaluation.max_new_tokens)},
        "fidelity": fidelity_table(predictions),
        "samples": [
            {"id": p.id, "input": p.text, "output": p.output, "references": list(p.references or ())[:3]}
            for p in predictions[:SAMPLES]
        ],
    }
