"""The report's opening section: whether the round is good, at one glance.

It sets side by side what the rest of the report spreads over many sections: the run's status,
the headline metrics of the split the report dwells on (with their 95% intervals), the baselines
scored on the same rows (`metrics.json["baselines"]`: the majority class, a TF-IDF logistic
regression), the base model and the previous round (`comparisons.json`: this model minus the
other, with the paired interval and the Holm-adjusted p), the collapse alarm
(`metrics.json["collapse"]`) and every gate's verdict: data, phases, annotation agreement,
evaluation and fairness. What a run does not have (no baselines in an older evaluation, no
previous round yet) is left out, and what is wrong is said first, in `concerns`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tuneloop.run_dir import RunRecord
from tuneloop.verdict import Verdict

METRIC_NAMES = {
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "macro_recall": "macro recall",
    "macro_precision": "macro precision",
    "micro_f1": "micro-F1",
    "micro_precision": "micro precision",
    "micro_recall": "micro recall",
    "exact_set": "exact set",
    "hamming_loss": "Hamming loss",
    "bleu": "BLEU",
    "chrf": "chrF",
    "rouge_l": "ROUGE-L",
    "exact_match": "exact match",
    "invalid_rate": "invalid outputs",
}
BASELINES = {"majority": "majority class", "tfidf_logreg": "TF-IDF logistic regression"}
COMPARED = {"base": "base model", "previous_round": "previous round"}
_SHOWN_WHEN_NO_INTERVALS = ("accuracy", "macro_f1", "macro_recall")
_FINISHED = ("evaluated",)
_BROKEN = ("stopped", "failed", "interrupted")


def verdict_section(
    record: RunRecord,
    split: str | None,
    metrics: dict[str, Any] | None,
    comparisons: dict[str, Any] | None,
    annotation: dict[str, Any] | None,
) -> dict[str, Any]:
    """The opening section's context; `metrics` is `split`'s metrics.json (None: not evaluated)."""
    status = record.status or "unknown"
    gates = gate_lines(record, annotation)
    columns = headline_columns(metrics)
    rows = model_rows(metrics, comparisons, columns) if metrics else []
    collapse = (metrics or {}).get("collapse")
    concerns = [failure_sentence(g) for g in gates if not g["passed"]]
    if collapse and collapse.get("alarm"):
        concerns.append("collapse alarm: " + ("; ".join(collapse.get("reasons") or []) or "raised"))
    concerns += below_baselines(rows, columns[0]) if rows else []
    return {
        "status": status,
        "status_class": "error" if status.startswith(_BROKEN) else "ok" if status in _FINISHED else "muted",
        "split": split if metrics else None,
        "n": (metrics or {}).get("n"),
        "columns": [(c, METRIC_NAMES.get(c, c)) for c in columns],
        "rows": rows,
        "collapse": collapse,
        "gates": gates,
        "concerns": concerns,
        "good": not concerns and status in _FINISHED,
    }


def headline_columns(metrics: dict[str, Any] | None) -> list[str]:
    """The metrics judged with intervals (the spec's, first the headline one), then the invalid
    rate; an evaluation from before intervals shows accuracy, macro-F1 and macro recall."""
    judged = list((metrics or {}).get("judged") or (metrics or {}).get("ci") or {})  # generate: named
    shown = judged or [m for m in _SHOWN_WHEN_NO_INTERVALS if (metrics or {}).get(m) is not None]
    return [*(shown or ["accuracy"]), "invalid_rate"]


def model_rows(
    metrics: dict[str, Any], comparisons: dict[str, Any] | None, columns: Sequence[str]
) -> list[dict[str, Any]]:
    """This model, each baseline and each compared model that a person judges a round against."""
    rows = [_row("this model", "model", metrics, columns)]
    for key, baseline in (metrics.get("baselines") or {}).items():
        if not isinstance(baseline, dict):
            continue
        name = BASELINES.get(key, key.replace("_", " "))
        if baseline.get("label") is not None:
            name += f" ({baseline['label']})"
        rows.append(_row(name, "baseline", baseline, columns))
    for target in (comparisons or {}).get("targets") or []:
        if target.get("kind") not in COMPARED:
            continue
        name = COMPARED[target["kind"]]
        if target["kind"] == "previous_round":
            name += f" ({target['name'].removeprefix('previous-round-')})"
        row = _row(name, target["kind"], target.get("metrics") or {}, columns)
        row["differences"] = {
            t["metric"]: t
            for t in target.get("tests") or []
            if t["scope"] == "overall" and t["metric"] in columns
        }
        rows.append(row)
    return rows


def _row(name: str, kind: str, values: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    intervals = values.get("ci") or {}
    return {
        "name": name,
        "kind": kind,
        "scores": {c: values.get(c) for c in columns},
        "ci": {c: intervals[c] for c in columns if intervals.get(c) and None not in intervals[c]},
        "differences": {},
    }


def below_baselines(rows: list[dict[str, Any]], metric: str) -> list[str]:
    """A sentence for each baseline that scores at least as high as this model on `metric`."""
    mine = rows[0]["scores"].get(metric)
    if mine is None:
        return []
    label = METRIC_NAMES.get(metric, metric)
    return [
        f"not above the {row['name']} baseline: {label} {row['scores'][metric]:.3f}, this model {mine:.3f}"
        for row in rows
        if row["kind"] == "baseline"
        and row["scores"].get(metric) is not None
        and row["scores"][metric] >= mine
    ]


def gate_lines(record: RunRecord, annotation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One line per gate, in the order a round meets them: `stage`, `gate`, `passed`, `detail`
    and, for a gate judged in several scopes, `scopes` and the `failures` (scope, detail)."""
    lines = []
    if record.data_gate:
        g = record.data_gate
        detail = f"{g['errors']} error findings in {g['read']} rows read ({100 * g['error_rate']:.1f}%)"
        if g.get("override"):
            detail += f"; trained anyway, override: {g['override']}"
        gate = f"error rate <= {100 * g['max_error_rate']:.1f}%"
        lines.append(_line("data", gate, g["passed"], detail))
    for phase in record.phases or []:
        for g in phase.get("gates") or []:
            measured = "nothing to judge" if g.get("actual") is None else f"measured {g['actual']:.3f}"
            if g.get("threshold") is not None:
                measured += f", needed {g['threshold']:.3f}"
            lines.append(_line(f"phase {phase['name']}", g["gate"], g["passed"], measured))
    for g in ((annotation or {}).get("report") or {}).get("gate") or []:
        measured = "undefined" if g.get("actual") is None else f"measured {g['actual']:.3f}"
        lines.append(_line("annotation", f"{g['check']} >= {g['threshold']}", g["passed"], measured))
    return lines + evaluation_lines(record.evaluation_gates or [])


def evaluation_lines(verdicts: Sequence[Verdict]) -> list[dict[str, Any]]:
    """The evaluation and fairness verdicts, one line per gate over all the scopes it was judged in."""
    by_gate: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_gate.setdefault(v.gate, []).append(v)
    lines = []
    for gate, judged in by_gate.items():
        failures = [(v.scope, v.detail) for v in judged if not v.passed]
        detail = judged[0].detail if len(judged) == 1 else f"{len(judged)} scopes judged"
        line = _line("evaluation", gate, not failures, detail)
        lines.append({**line, "scopes": len(judged), "failures": failures})
    return lines


def failure_sentence(line: dict[str, Any]) -> str:
    """What a failed gate line says first: the gate, where it failed and what was measured."""
    where = f"{line['stage']} gate {line['gate']} FAILED"
    if line["scopes"] == 1:
        return f"{where}: {line['detail']}"
    (scope, detail), more = line["failures"][0], len(line["failures"]) - 1
    return f"{where} in {len(line['failures'])} of {line['scopes']} scopes, first {scope}: {detail}" + (
        f" (and {more} more)" if more else ""
    )


def _line(stage: str, gate: str, passed: bool, detail: str) -> dict[str, Any]:
    return {
        "stage": stage,
        "gate": gate,
        "passed": bool(passed),
        "detail": detail,
        "scopes": 1,
        "failures": [],
    }
