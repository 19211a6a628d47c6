"""Metrics of an extraction task: each field of each record right, wrong, missing or made up.

Per row and field, a gold value and a predicted value (canonical, `extract/schema.py`) compare
by `comparison_key` (exact for enums, the value for numbers, dates and times, normalised text for
strings) into one of four counts, kept apart because they call for different fixes:

- `correct`: both present and the same;
- `wrong`: both present and different (the model found the field but misread it);
- `missing`: in the gold record only (the model did not see it);
- `hallucinated`: in the prediction only (the text does not hold it, by the gold record).

A list field compares as sets: each shared item is correct, each gold-only item missing, each
predicted-only item hallucinated. Precision is correct over predicted values (correct + wrong +
hallucinated), recall correct over gold values (correct + wrong + missing), F1 their harmonic
mean (2 correct over gold plus predicted values: a wrong value costs both). Micro sums the counts
over the fields; macro averages the F1 of the fields that have a gold or a predicted value, as
`multilabel_metrics.py` does for labels (a field absent from both is no evidence). `exact_record`
is the share of rows with every field right.

An invalid answer (`answer_check.INVALID`) counts as the empty record: its gold values are all
missing, and it is never an exact record, not even where the gold record is empty. The bootstrap
resamples rows: each resample weighs the rows x fields x counts array once (`intervals.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tuneloop.errors import TuneloopError
from tuneloop.evaluate.intervals import draw_counts, macro_average, ratio_of
from tuneloop.extract.schema import comparison_key
from tuneloop.spec.fields import FieldSpec

#: The metrics of an extraction task, in the order metrics.json and the report show them.
FIELD_METRICS = (
    "field_micro_f1",
    "field_macro_f1",
    "exact_record",
    "field_micro_precision",
    "field_micro_recall",
)
KINDS = ("correct", "wrong", "missing", "hallucinated")


@dataclass(frozen=True)
class FieldCounts:
    """Per row and field the four counts of `KINDS` (rows x fields x 4), and which rows' answers
    were invalid."""

    counts: np.ndarray
    invalid: np.ndarray

    def __len__(self) -> int:
        return len(self.invalid)

    def subset(self, mask: np.ndarray) -> FieldCounts:
        return FieldCounts(self.counts[mask], self.invalid[mask])

    @property
    def right(self) -> np.ndarray:
        return np.asarray((self.counts[:, :, 1:].sum(axis=(1, 2)) == 0) & ~self.invalid)

    def values(self, rows: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
        return field_metric_values(self, rows, metrics)


def field_counts(
    gold: Sequence[dict[str, Any]], predicted: Sequence[dict[str, Any] | None], fields: list[FieldSpec]
) -> FieldCounts:
    """The counts of each row's predicted record (None: the answer was invalid) against its gold."""
    if len(gold) != len(predicted):
        raise TuneloopError(f"{len(gold)} gold records but {len(predicted)} predicted ones")
    counts = np.zeros((len(gold), len(fields), len(KINDS)), dtype=np.int64)
    for row, (truth, guess) in enumerate(zip(gold, predicted, strict=True)):
        for column, f in enumerate(fields):
            counts[row, column] = compare_values(f, truth.get(f.name), (guess or {}).get(f.name))
    return FieldCounts(counts, np.array([p is None for p in predicted], dtype=bool))


def compare_values(field: FieldSpec, gold: Any, predicted: Any) -> tuple[int, int, int, int]:
    """(correct, wrong, missing, hallucinated) for one field of one row; None is absent."""
    if field.type == "list":
        truth = {comparison_key(field, v) for v in gold or ()}
        guess = {comparison_key(field, v) for v in predicted or ()}
        return len(truth & guess), 0, len(truth - guess), len(guess - truth)
    if gold is None or predicted is None:
        return 0, 0, int(gold is not None), int(predicted is not None)
    same = comparison_key(field, gold) == comparison_key(field, predicted)
    return int(same), int(not same), 0, 0


def field_metric_values(data: FieldCounts, rows: np.ndarray, metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Each metric of `FIELD_METRICS` over each row of the index matrix `rows` (resamples x
    sample size)."""
    weights = draw_counts(rows, len(data))
    correct, wrong, missing, made_up = np.moveaxis(np.einsum("rn,nfk->rfk", weights, data.counts), -1, 0)
    totals = np.moveaxis(data.counts.sum(axis=0, keepdims=True).astype(float), -1, 0)
    gold_n, predicted_n = correct + wrong + missing, correct + wrong + made_up
    all_gold, all_predicted = totals[0] + totals[1] + totals[2], totals[0] + totals[1] + totals[3]
    present = np.asarray((all_gold + all_predicted)[0] > 0)
    sums = [a.sum(axis=1) for a in (correct, gold_n, predicted_n)]
    formulas = {
        "field_micro_precision": lambda: ratio_of(sums[0], sums[2]),
        "field_micro_recall": lambda: ratio_of(sums[0], sums[1]),
        "field_micro_f1": lambda: ratio_of(2 * sums[0], sums[1] + sums[2]),
        "field_macro_f1": lambda: macro_average(
            2 * correct, gold_n + predicted_n, (2 * totals[0], all_gold + all_predicted), present
        ),
        "exact_record": lambda: weights @ data.right.astype(float) / rows.shape[1],
    }
    unknown = [m for m in metrics if m not in formulas]
    if unknown:
        raise TuneloopError(
            f"{', '.join(unknown)}: not metrics of an extract task ({', '.join(FIELD_METRICS)})"
        )
    return {metric: formulas[metric]() for metric in metrics}


def field_metrics(data: FieldCounts, fields: list[FieldSpec]) -> dict[str, Any]:
    """`n`, every metric of `FIELD_METRICS`, the invalid rate, and per field (schema order) the
    four counts with precision, recall, F1 and support (gold values)."""
    n = len(data)
    if n == 0:
        return {"n": 0, **dict.fromkeys(FIELD_METRICS), "invalid_rate": None, "per_field": {}}
    point = field_metric_values(data, np.arange(n)[None, :], FIELD_METRICS)
    per_field = {}
    for column, f in enumerate(fields):
        correct, wrong, missing, made_up = (int(c) for c in data.counts[:, column].sum(axis=0))
        gold_n, predicted_n = correct + wrong + missing, correct + wrong + made_up
        per_field[f.name] = {
            "precision": correct / predicted_n if predicted_n else 0.0,
            "recall": correct / gold_n if gold_n else 0.0,
            "f1": 2 * correct / (gold_n + predicted_n) if gold_n + predicted_n else 0.0,
            "support": gold_n,
            **dict(zip(KINDS, (correct, wrong, missing, made_up), strict=True)),
        }
    return {
        "n": n,
        **{metric: float(values[0]) for metric, values in point.items()},
        "invalid_rate": float(data.invalid.mean()),
        "per_field": per_field,
    }
