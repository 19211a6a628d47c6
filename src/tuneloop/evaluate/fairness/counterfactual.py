"""Counterfactual invariance: does the answer change when only a group term in the input does?

For each swap family, the test rows holding one of its terms are scored twice with the same
scorer, as written and with the terms swapped (tuneloop/lexicons.py). Per family: the rows swapped, the
flip rate (the share whose predicted label changed) with a Wilson 95% interval, accuracy as
written and swapped and the change, McNemar's exact test on the paired correctness, and every
flipped row, so a person can read what changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tuneloop.data.example import Example
from tuneloop.evaluate.compare import mcnemar_p
from tuneloop.evaluate.predict import Prediction
from tuneloop.lexicons import Swapper

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval
Predict = Callable[[list[Example]], list[Prediction]]


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion: sensible at 0 and for small n, unlike p +- 2 se."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    # It contains p exactly; rounding alone can leave a bound a hair past it (5.6e-17 at 0 of 7).
    return (min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)))


def with_text(example: Example, text: str) -> Example:
    """The example with its last user turn replaced (its id kept, so both versions pair up)."""
    last = max(i for i, m in enumerate(example.messages) if m["role"] == "user")
    messages = [dict(m) for m in example.messages]
    messages[last]["content"] = text
    return replace(example, messages=messages)


def counterfactual(
    examples: list[Example], originals: dict[str, Prediction], swappers: list[Swapper], predict: Predict
) -> dict[str, Any]:
    """Per family, the swapped rows scored by `predict` and compared with `originals` (by id)."""
    families = {}
    for swapper in swappers:
        rows = [e for e in examples if swapper.terms_in(e.text)]
        swapped = predict([with_text(e, swapper.swap(e.text)) for e in rows]) if rows else []
        families[swapper.family] = family_result([originals[e.id] for e in rows], swapped)
    return {"families": families}


def family_result(before: list[Prediction], after: list[Prediction]) -> dict[str, Any]:
    n = len(before)
    flips = [(a, b) for a, b in zip(before, after, strict=True) if a.predicted != b.predicted]
    right_before = sum(a.correct for a in before)
    right_after = sum(b.correct for b in after)
    only_before = sum(a.correct and not b.correct for a, b in zip(before, after, strict=True))
    only_after = sum(b.correct and not a.correct for a, b in zip(before, after, strict=True))
    return {
        "rows": n,
        "flipped": len(flips),
        "flip_rate": len(flips) / n if n else None,
        "flip_rate_ci": list(wilson_interval(len(flips), n)) if n else None,
        "accuracy": right_before / n if n else None,
        "accuracy_swapped": right_after / n if n else None,
        "accuracy_change": (right_after - right_before) / n if n else None,
        "mcnemar": {"right_only_before": only_before, "right_only_after": only_after},
        "p_value": mcnemar_p(only_before, only_after),
        "flips": [
            {
                "id": a.id,
                "text": a.text,
                "swapped_text": b.text,
                "predicted": a.predicted,
                "predicted_swapped": b.predicted,
                "gold": a.gold,
            }
            for a, b in flips
        ],
    }
