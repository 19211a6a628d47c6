"""The fairness gates of `evaluation.fairness`: a flip rate per swap family and an accuracy
difference per sensitive slice, each a `Verdict` like every other gate's."""

from __future__ import annotations

from typing import Any

from tuneloop.spec import FairnessSpec
from tuneloop.verdict import Verdict


def fairness_verdicts(result: dict[str, Any], spec: FairnessSpec) -> list[Verdict]:
    """One verdict per family for `max_flip_rate` and per sensitive slice for
    `max_accuracy_difference`; nothing to measure (no row with a term, fewer than two groups)
    passes, and says so."""
    verdicts = []
    if spec.max_flip_rate is not None:
        gate = f"flip rate <= {spec.max_flip_rate:g}"
        for family, measured in result["counterfactual"]["families"].items():
            rate = measured["flip_rate"]
            if rate is None:
                detail, passed = "no test row holds a term of this family: nothing to check", True
            else:
                passed = rate <= spec.max_flip_rate
                detail = (
                    f"{measured['flipped']} of {measured['rows']} swapped rows changed answer ({rate:.3f})"
                )
            verdicts.append(Verdict("evaluation", gate, passed, scope=f"family {family}", detail=detail))
    if spec.max_accuracy_difference is not None:
        gate = f"accuracy difference between groups <= {spec.max_accuracy_difference:g}"
        for name, measured in result["groups"].items():
            difference = measured.get("difference", {}).get("accuracy", {}).get("value")
            if difference is None:
                detail, passed = measured.get("note", "no difference could be measured"), True
            else:
                passed = difference <= spec.max_accuracy_difference
                low, high = measured["difference"]["accuracy"]["ci"]
                ci = f" (95% CI {low:.3f} to {high:.3f})" if low is not None and high is not None else ""
                detail = f"largest difference {difference:.3f}{ci}"
            verdicts.append(Verdict("evaluation", gate, passed, scope=f"slice {name}", detail=detail))
    return verdicts
