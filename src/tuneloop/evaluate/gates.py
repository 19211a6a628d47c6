"""Regression gates (spec `evaluation.gates`) judged on the gated split.

A `min` gate holds the whole split's metric to a floor. A `max_drop` gate fails when, against
its target, the whole split or a slice group large enough to judge fell by more than `max_drop`
*and* the Holm-adjusted p-value of that difference is below `p`: a drop that could be noise does
not block a model, and a significant but tiny one does not either. A target that does not
exist (no previous round yet) passes, saying so; a comparison that was never made fails, since
nothing was checked. A `beats` gate passes when the model's metric over the whole split is above
the baseline's (`baselines.py`, fitted on the train split) with a paired p-value below `p`
(accuracy: McNemar's exact test); a baseline that was never scored fails.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from tuneloop.evaluate.baselines import overall_test, significantly_above
from tuneloop.spec import Evaluation, EvaluationGate
from tuneloop.verdict import Verdict

_MISSING_TARGET = {
    "base": "no base model was compared",
    "previous_phase": "no earlier phase or base model was compared",
    "previous_round": "no previous round with a final model: nothing to regress from",
}


def shown_split(evaluation: Evaluation, evaluated: Collection[str]) -> str | None:
    """The split the report and model card dwell on: the gated one, else the first evaluated."""
    return evaluation.gate_split if evaluation.gate_split in evaluated else next(iter(evaluated), None)


def gate_text(gate: EvaluationGate) -> str:
    if gate.min is not None:
        return f"{gate.metric} >= {gate.min:g}"
    if gate.beats is not None:
        return f"{gate.metric} beats {gate.beats} (p < {gate.p:g})"
    return f"{gate.metric} drop <= {gate.max_drop:g} vs {gate.against.replace('_', ' ')} (p < {gate.p:g})"


def evaluation_verdicts(
    results: dict[str, dict[str, Any]], comparisons: dict[str, Any] | None, evaluation: Evaluation
) -> list[Verdict]:
    """Every gate's verdicts: one for a `min` or `beats` gate, one per scope tested for a
    `max_drop` gate."""
    split = evaluation.gate_split
    verdicts: list[Verdict] = []
    for gate in evaluation.gates:
        if gate.min is not None:
            verdicts.append(_floor(gate, split, results.get(split)))
        elif gate.beats is not None:
            verdicts.append(_beats(gate, split, results.get(split)))
        else:
            verdicts.extend(_no_drop(gate, split, comparisons))
    return verdicts


def _floor(gate: EvaluationGate, split: str, metrics: dict[str, Any] | None) -> Verdict:
    assert gate.min is not None
    scope = f"overall ({split})"
    if metrics is None or metrics.get(gate.metric) is None:
        detail = f"the {split} split was not evaluated"
        return Verdict("evaluation", gate_text(gate), False, scope=scope, detail=detail)
    value, interval = metrics[gate.metric], metrics.get("ci", {}).get(gate.metric)
    spread = f", 95% CI {interval[0]:.3f}-{interval[1]:.3f}" if interval else ""
    detail = f"{gate.metric} {value:.3f} (n={metrics['n']}{spread})"
    return Verdict("evaluation", gate_text(gate), value >= gate.min, scope=scope, detail=detail)


def _beats(gate: EvaluationGate, split: str, metrics: dict[str, Any] | None) -> Verdict:
    assert gate.beats is not None
    text, scope = gate_text(gate), f"overall ({split})"
    baseline = ((metrics or {}).get("baselines") or {}).get(gate.beats)
    test = overall_test(baseline, gate.metric) if baseline else None
    if test is None:
        detail = (
            f"the {gate.beats} baseline was not scored on {gate.metric} on the {split} split: "
            "run `tuneloop evaluate --run RUN --gate`"
        )
        return Verdict("evaluation", text, False, scope=scope, detail=detail)
    low, high = test["ci"]
    detail = (
        f"{gate.beats} {test['other']:.3f} -> this model {test['current']:.3f} ({test['difference']:+.3f}, "
        f"95% CI {low:+.3f} to {high:+.3f}; {test['test']} p = {test['p']:.3g}; n={test['n']})"
    )
    return Verdict("evaluation", text, significantly_above(test, gate.p), scope=scope, detail=detail)


def _no_drop(gate: EvaluationGate, split: str, comparisons: dict[str, Any] | None) -> list[Verdict]:
    assert gate.max_drop is not None
    text = gate_text(gate)
    if comparisons is None or comparisons.get("split") != split:
        detail = f"no comparisons on the {split} split: run `tuneloop evaluate --run RUN --gate`"
        return [Verdict("evaluation", text, False, scope="-", detail=detail)]
    targets = [t for t in comparisons["targets"] if gate.against in t["against"]]
    if not targets:
        return [Verdict("evaluation", text, True, scope="-", detail=_MISSING_TARGET[gate.against])]
    verdicts = []
    for target in targets:
        tests = [t for t in target["tests"] if t["metric"] == gate.metric]
        if not tests:
            detail = f"{gate.metric} was not compared; re-run the evaluation"
            verdicts.append(Verdict("evaluation", text, False, scope=f"vs {target['name']}", detail=detail))
        for test in tests:
            drop = -test["difference"]
            failed = drop > gate.max_drop and test["p_holm"] < gate.p
            low, high = test["ci"]
            detail = (
                f"{test['other']:.3f} -> {test['current']:.3f} ({test['difference']:+.3f}, 95% CI "
                f"{low:+.3f} to {high:+.3f}; {test['test']} p = {test['p']:.3g}, Holm {test['p_holm']:.3g}; "
                f"n={test['n']})"
            )
            scope = f"{test['scope']} vs {target['name']}"
            verdicts.append(Verdict("evaluation", text, not failed, scope=scope, detail=detail))
    return verdicts
