"""Scenario slices: which group each prediction falls in, and every metric per group with a
bootstrap 95% interval and its size.

A slice (spec `evaluation.slices`) groups rows by a tag from the data (`field`), by whether the
text holds one of some `keywords` (whole words, any case) or matches a `regex` (as written, so
`(?i)` makes it case-blind), or by input length in words. A group smaller than
`evaluation.min_slice_size` is still shown, marked `too_small`: its interval is too wide to judge.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from typing import Any

import numpy as np

from tuneloop.evaluate.intervals import judged_metrics, with_intervals
from tuneloop.evaluate.multilabel_metrics import encode_rows
from tuneloop.evaluate.predict import Prediction
from tuneloop.spec import Evaluation, SliceSpec

MATCH, NO_MATCH = "match", "no match"


def slice_value(prediction: Prediction, spec: SliceSpec) -> str | None:
    """The group of `prediction` in slice `spec`; None when a field slice's tag is missing."""
    if spec.field is not None:
        return prediction.slices.get(spec.field)
    if spec.keywords is not None:
        return MATCH if _keyword_pattern(tuple(spec.keywords)).search(prediction.text) else NO_MATCH
    if spec.regex is not None:
        return MATCH if _compiled(spec.regex).search(prediction.text) else NO_MATCH
    assert spec.length_words is not None
    words = len(prediction.text.split())
    buckets = length_buckets(spec.length_words)
    return next(
        (b for edge, b in zip(spec.length_words, buckets, strict=False) if words <= edge), buckets[-1]
    )


def length_buckets(edges: list[int]) -> list[str]:
    lowers = [0, *edges]
    return [f"{lo + 1}-{hi} words" for lo, hi in zip(lowers, edges, strict=False)] + [f"> {edges[-1]} words"]


def slice_groups(predictions: list[Prediction], spec: SliceSpec) -> dict[str, list[int]]:
    """Row indices per group, groups in reading order: length buckets by length, matches first."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(predictions):
        value = slice_value(p, spec)
        if value is not None:
            groups[value].append(i)
    if spec.length_words is not None:
        order = length_buckets(spec.length_words)
    elif spec.field is not None:
        order = sorted(groups)
    else:
        order = [MATCH, NO_MATCH]
    return {value: groups[value] for value in order if value in groups}


def slice_metrics(
    predictions: list[Prediction], labels: list[str], evaluation: Evaluation, seed: int = 0
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per slice, per group: n, `too_small`, each judged metric and its interval under `ci`."""
    data, metrics = encode_rows(predictions, labels), judged_metrics(evaluation)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for spec in evaluation.slices:
        out[spec.name] = {
            value: {
                **with_intervals(data.subset(np.array(rows)), metrics, evaluation.bootstrap, seed),
                "too_small": len(rows) < evaluation.min_slice_size,
            }
            for value, rows in slice_groups(predictions, spec).items()
        }
    return out


def overall_intervals(
    predictions: list[Prediction], labels: list[str], evaluation: Evaluation, seed: int = 0
) -> dict[str, list[float] | None]:
    """The interval of each judged metric over all rows."""
    data, metrics = encode_rows(predictions, labels), judged_metrics(evaluation)
    ci: dict[str, list[float] | None] = with_intervals(data, metrics, evaluation.bootstrap, seed)["ci"]
    return ci


@lru_cache(maxsize=64)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    # Lookarounds instead of \b, so a keyword that starts or ends with a symbol ("£", "e-mail") works.
    alternatives = "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=64)
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex)
