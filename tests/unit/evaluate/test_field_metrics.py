"""Field metrics count right, wrong, missing and made-up values apart, match a direct count, and
resample exactly as recomputing on the resampled rows would."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from tuneloop.errors import TuneloopError
from tuneloop.evaluate.field_metrics import FIELD_METRICS, field_counts, field_metric_values, field_metrics
from tuneloop.evaluate.intervals import with_intervals
from tuneloop.spec.fields import FieldSpec

FIELDS = [
    FieldSpec(name="company", span=True),
    FieldSpec(name="amount", type="number"),
    FieldSpec(name="kind", type="enum", values=["a", "b", "c"]),
    FieldSpec(name="tags", type="list", items="enum", values=["x", "y", "z"]),
    FieldSpec(name="never", type="date"),
]


def _random_records(rng: random.Random, n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any] | None]]:
    def record() -> dict[str, Any]:
        out: dict[str, Any] = {}
        if rng.random() < 0.7:
            out["company"] = rng.choice(["Tesco", "tesco!", "Aldi", "Lidl"])
        if rng.random() < 0.5:
            out["amount"] = rng.choice([1, 2, 2.5])
        if rng.random() < 0.6:
            out["kind"] = rng.choice("abc")
        if rng.random() < 0.5:
            out["tags"] = rng.sample("xyz", rng.randint(1, 3))
        return out

    gold = [record() for _ in range(n)]
    return gold, [None if rng.random() < 0.1 else record() for _ in range(n)]


def _direct(gold: list[dict[str, Any]], predicted: list[dict[str, Any] | None]) -> dict[str, float]:
    """The metrics counted value by value, without the arrays."""
    from tuneloop.data.normalise import dedup_text

    def key(name: str, v: Any) -> Any:
        return dedup_text(v) if name == "company" else v

    tally = {f.name: [0, 0, 0] for f in FIELDS}  # correct, gold values, predicted values
    exact = 0
    for g, p in zip(gold, predicted, strict=True):
        p_ = p or {}
        all_right = p is not None
        for name, t in tally.items():
            gv, pv = g.get(name), p_.get(name)
            gs = {key(name, v) for v in (gv if isinstance(gv, list) else [gv] if gv is not None else [])}
            ps = {key(name, v) for v in (pv if isinstance(pv, list) else [pv] if pv is not None else [])}
            t[0] += len(gs & ps)
            t[1] += len(gs)
            t[2] += len(ps)
            all_right &= gs == ps
        exact += all_right
    c, gn, pn = (sum(t[i] for t in tally.values()) for i in range(3))
    f1s = [2 * t[0] / (t[1] + t[2]) for t in tally.values() if t[1] + t[2]]
    return {
        "field_micro_precision": c / pn, "field_micro_recall": c / gn, "field_micro_f1": 2 * c / (gn + pn),
        "field_macro_f1": sum(f1s) / len(f1s), "exact_record": exact / len(gold),
    }  # fmt: skip


def test_the_metrics_match_a_direct_count_on_random_records() -> None:
    gold, predicted = _random_records(random.Random(3), 300)
    measured = field_metrics(field_counts(gold, predicted, FIELDS), FIELDS)
    for metric, value in _direct(gold, predicted).items():
        assert measured[metric] == pytest.approx(value, abs=1e-12), metric
    assert measured["invalid_rate"] == pytest.approx(sum(p is None for p in predicted) / 300)
    assert "never" in measured["per_field"] and measured["per_field"]["never"]["support"] == 0


def test_a_resample_scores_as_the_resampled_rows_would() -> None:
    gold, predicted = _random_records(random.Random(5), 120)
    data = field_counts(gold, predicted, FIELDS)
    rows = np.random.default_rng(0).integers(0, 120, size=(4, 120))
    values = field_metric_values(data, rows, FIELD_METRICS)
    for r in range(4):
        again = field_metrics(
            field_counts([gold[i] for i in rows[r]], [predicted[i] for i in rows[r]], FIELDS), FIELDS
        )
        for metric in ("field_micro_f1", "field_micro_precision", "field_micro_recall", "exact_record"):
            assert values[metric][r] == pytest.approx(again[metric], abs=1e-12)
    interval = with_intervals(data, FIELD_METRICS, 200, 1)
    low, high = interval["ci"]["field_micro_f1"]
    assert low < interval["field_micro_f1"] < high


def test_wrong_missing_and_made_up_values_are_counted_apart() -> None:
    gold = [{"company": "Tesco", "amount": 2, "tags": ["x", "y"]}]
    predicted: list[dict[str, Any] | None] = [
        {"company": "TESCO.", "amount": 3, "kind": "a", "tags": ["y", "z"]}
    ]
    per_field = field_metrics(field_counts(gold, predicted, FIELDS), FIELDS)["per_field"]
    counts = {
        name: tuple(v[k] for k in ("correct", "wrong", "missing", "hallucinated"))
        for name, v in per_field.items()
    }
    assert counts == {
        "company": (1, 0, 0, 0), "amount": (0, 1, 0, 0), "kind": (0, 0, 0, 1), "tags": (1, 0, 1, 1),
        "never": (0, 0, 0, 0),
    }  # fmt: skip


def test_an_invalid_answer_is_never_an_exact_record() -> None:
    measured = field_metrics(field_counts([{}, {"kind": "a"}], [None, None], FIELDS), FIELDS)
    assert measured["exact_record"] == 0.0 and measured["field_micro_recall"] == 0.0
    assert measured["invalid_rate"] == 1.0


def test_mismatched_lengths_and_unknown_metrics_are_refused() -> None:
    with pytest.raises(TuneloopError, match="1 gold records but 0"):
        field_counts([{}], [], FIELDS)
    with pytest.raises(TuneloopError, match="not metrics of an extract task"):
        field_metric_values(field_counts([{}], [{}], FIELDS), np.zeros((1, 1), dtype=int), ["accuracy"])
