"""The collapse alarm: a model whose answers say little or nothing about its inputs, said out loud.

A badly trained model can answer one label for every row, or spread its answers over far fewer
labels than the rows hold, and still look like progress: answering `none` for all 118 rows of a
split scores 0.347 when 35% of the rows are `none`, a "significant gain" over a base model that
never answered a label. The alarm is raised by any of three checks, each giving its reason:

- distinct labels: the model predicted fewer than half the labels its rows hold, or a single
  one. A label never predicted has recall 0, so macro recall is at most distinct / expected:
  under one half, the model cannot reach a macro recall of 0.5 whatever else it does. One label
  for every row is the extreme case, and is said as such.
- entropy: the entropy of the answers (in bits; an output that is no label counts as one more
  answer) is under half the entropy of the gold labels. 2 ** entropy is the effective number of
  labels answered, and half the bits is its square root: for 77 equally common intents, fewer
  than 8.8 effective answers; for two equally common labels, one label given for 89% of rows.
- the majority baseline: the model's accuracy is not above the train split's majority label with
  McNemar's paired p < 0.05 on the same rows (the test `baselines.py` made).

Answers that are not labels (an extract task's records, a generate task's text) have no label
spread to compare; `same_answer_alarm` says when one answer stands for nearly every row (at
least 95%) while the gold answers are that answer far less often (10 points or more less): a
model answering `{}` to every message, where a third of them hold details, has learned the form
and nothing of the inputs.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from tuneloop.evaluate.baselines import overall_test, significantly_above
from tuneloop.evaluate.metrics import INVALID
from tuneloop.evaluate.predict import Prediction

MIN_DISTINCT_SHARE = 0.5  # of the labels the rows hold
MIN_ENTROPY_SHARE = 0.5  # of the gold labels' entropy, in bits
SIGNIFICANT = 0.05  # the paired p-value a model must reach against the majority baseline
SAME_ANSWER_SHARE = 0.95  # of the rows, answered alike
SAME_ANSWER_EXCESS = 0.10  # above the share of rows whose gold answer it is


def collapse_alarm(predictions: list[Prediction], majority: dict[str, Any] | None) -> dict[str, Any]:
    """The spread of the answers against the gold labels', and the reasons to raise the alarm;
    `majority` is the majority baseline's entry of `baselines.py` (None: no baseline to beat)."""
    gold = Counter(p.gold for p in predictions if p.gold is not None)
    answers = Counter(p.predicted or INVALID for p in predictions)
    distinct = sum(1 for answer in answers if answer != INVALID)
    entropy, expected = entropy_bits(answers), entropy_bits(gold)
    reasons = _spread_reasons(answers, distinct, len(gold), entropy, expected, len(predictions))
    if majority is not None:
        reasons += _majority_reasons(majority)
    return {
        "distinct_predictions": distinct,
        "labels_expected": len(gold),
        "entropy_bits": entropy,
        "expected_entropy_bits": expected,
        "alarm": bool(reasons),
        "reasons": reasons,
    }


def entropy_bits(counts: Counter[str]) -> float:
    total = sum(counts.values())
    return float(sum(c / total * math.log2(total / c) for c in counts.values() if c)) if total else 0.0


def _spread_reasons(
    answers: Counter[str], distinct: int, expected: int, entropy: float, gold_entropy: float, n: int
) -> list[str]:
    if expected < 2:
        return []  # rows of one label: a model answering it alone is right, not collapsed
    if distinct == 0:
        return [f"no output of the {n} rows was a label"]
    if distinct == 1:
        label = next(answer for answer in answers if answer != INVALID)
        return [f"one label for every row: {label!r} for {answers[label]} of {n} rows"]
    reasons = []
    if distinct < max(2, math.ceil(MIN_DISTINCT_SHARE * expected)):
        reasons.append(
            f"only {distinct} distinct labels predicted for the {expected} the rows hold: "
            f"macro recall cannot exceed {distinct / expected:.2f}"
        )
    if entropy < MIN_ENTROPY_SHARE * gold_entropy:
        reasons.append(
            f"the answers' entropy is {entropy:.2f} bits, under half the gold labels' {gold_entropy:.2f} "
            f"(about {2**entropy:.1f} effective labels answered for {2**gold_entropy:.1f})"
        )
    return reasons


def _majority_reasons(majority: dict[str, Any]) -> list[str]:
    test = overall_test(majority, "accuracy")
    if test is None:
        return ["the model was not tested against the majority baseline; re-run the evaluation"]
    if significantly_above(test, SIGNIFICANT):
        return []
    return [
        f"accuracy {test['current']:.3f} does not beat the majority baseline ({majority['label']!r} "
        f"for every row: {test['other']:.3f}) significantly: {test['test']} p = {test['p']:.3g}, "
        f"needs a higher accuracy with p < {SIGNIFICANT}"
    ]


def same_answer_alarm(predictions: list[Prediction]) -> dict[str, Any]:
    """The alarm for answers that are not labels: one output for nearly every row, far more often
    than the gold answer is that output."""
    n = len(predictions)
    answers = Counter(p.output for p in predictions)
    reasons = []
    if n > 1:
        answer, count = answers.most_common(1)[0]
        gold = sum(p.gold == answer for p in predictions) / n
        if count / n >= SAME_ANSWER_SHARE and count / n - gold >= SAME_ANSWER_EXCESS:
            reasons.append(
                f"one answer for {count} of {n} rows: {answer!r}, the gold answer of {gold:.0%} of them"
            )
    return {"distinct_predictions": len(answers), "alarm": bool(reasons), "reasons": reasons}
