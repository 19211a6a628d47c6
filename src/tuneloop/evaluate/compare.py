"""Paired comparisons of a run's model with other models scored on the same rows.

The other models are the base model (where phase 1 started), each earlier phase and the previous
round's final model. On the same rows a paired test is far more sensitive than comparing two
intervals: accuracy (and a multilabel task's exact-set match, a generate task's exact match) by
McNemar's exact test (only the
rows where exactly one model is right count), the macro and micro metrics (and BLEU, chrF and
ROUGE-L, recomputed from each resample's sums) by a paired bootstrap (one set of resampled rows for
both models, its standard error in a Wald test).
Every difference gets a paired-bootstrap 95% interval; both models' macro metrics of a resample
run over the labels of the rows compared, a label the resample misses at each model's value on
all of them (`intervals.metric_values`), so the interval holds the observed difference. The
p-values of one target (overall and every slice group large enough to judge, every judged metric)
are one family, Holm-adjusted, so looking at many slices does not manufacture a regression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from rich.console import Console
from scipy.stats import binomtest, norm

from tuneloop.data.example import Example
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.intervals import Scored, judged_metrics, percentile_interval, resample_rows
from tuneloop.evaluate.multilabel_metrics import encode_rows
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.runner import evaluate_examples, read_predictions
from tuneloop.evaluate.slices import slice_groups
from tuneloop.run_dir import COMPARISONS_FILE, PREDICTIONS_FILE, compare_dir
from tuneloop.spec import Evaluation
from tuneloop.task_card import TaskCard

OVERALL = "overall"
EXACT_METRICS = ("accuracy", "exact_set", "exact_match")  # a row is right or wrong: McNemar's exact test


@dataclass(frozen=True)
class Target:
    """A model to compare with: `against` lists the gate targets it stands for."""

    name: str  # also its folder under eval/SPLIT/compare/
    kind: str  # base, phase or previous_round
    model: str
    against: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def comparison_targets(
    base_model: str, phases: Sequence[dict[str, Any]], previous_round: tuple[str, str] | None
) -> list[Target]:
    """The base model, every phase but the last (the last is the model under test) and the
    previous round's final model (its run name and model) when there is one.

    `previous_phase` is the phase before the last, or the base model when there is one phase."""
    earlier = list(phases[:-1])
    targets = [Target("base", "base", base_model, ["base"] + ([] if earlier else ["previous_phase"]))]
    for i, phase in enumerate(earlier, start=1):
        against = ["previous_phase"] if i == len(earlier) else []
        targets.append(Target(f"phase-{i}-{phase['name']}", "phase", phase["model_dir"], against))
    if previous_round is not None:
        run_name, model = previous_round
        targets.append(Target(f"previous-round-{run_name}", "previous_round", model, ["previous_round"]))
    return targets


def mcnemar_p(only_first: int, only_second: int) -> float:
    """Exact two-sided McNemar p-value from the discordant pairs (binomial with p = 1/2)."""
    discordant = only_first + only_second
    if discordant == 0:
        return 1.0
    return float(binomtest(min(only_first, only_second), discordant, 0.5).pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: controls the family-wise error rate, valid under any dependence."""
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(np.argsort(p_values, kind="stable")):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def paired_tests(
    current: Scored, other: Scored, metrics: Sequence[str], resamples: int, seed: int
) -> list[dict[str, Any]]:
    """One test per metric of `current` against `other` on the same rows (before Holm)."""
    everything = np.arange(len(current))[None, :]
    mine, theirs = current.values(everything, metrics), other.values(everything, metrics)
    differences: dict[str, list[np.ndarray]] = {m: [] for m in metrics}
    for rows in resample_rows(len(current), resamples, seed):
        a, b = current.values(rows, metrics), other.values(rows, metrics)
        for m in metrics:
            differences[m].append(a[m] - b[m])
    right_mine, right_theirs = current.right, other.right
    out = []
    for m in metrics:
        spread = np.concatenate(differences[m])
        if m in EXACT_METRICS:
            test = "McNemar exact"
            p = mcnemar_p(int(np.sum(right_mine & ~right_theirs)), int(np.sum(~right_mine & right_theirs)))
        else:
            test = "paired bootstrap"
            p = _bootstrap_p(float(mine[m][0] - theirs[m][0]), spread)
        out.append(
            {
                "metric": m,
                "n": len(current),
                "current": float(mine[m][0]),
                "other": float(theirs[m][0]),
                "difference": float(mine[m][0] - theirs[m][0]),
                "ci": percentile_interval(spread),
                "test": test,
                "p": p,
            }
        )
    return out


def _bootstrap_p(observed: float, differences: np.ndarray) -> float:
    """Two-sided Wald test with the paired-bootstrap standard error of the difference.

    Counting resamples across zero cannot go below 2 / (resamples + 1), which Holm multiplies by
    the family size: with twenty slices no drop could ever be significant. The standard error
    gives a p-value with no such floor."""
    error = float(np.std(differences, ddof=1))
    if error == 0:
        return 1.0 if observed == 0 else 0.0
    return float(2 * norm.sf(abs(observed) / error))


def compare_predictions(
    current: list[Prediction],
    other: list[Prediction],
    labels: list[str],
    evaluation: Evaluation,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Tests overall and per slice group (n >= min_slice_size), Holm-adjusted as one family."""
    other_by_id = {p.id: p for p in other}
    missing = [p.id for p in current if p.id not in other_by_id]
    if missing or len(other_by_id) != len(current):
        raise TuneloopError(
            f"the models were not scored on the same rows ({len(current)} vs {len(other_by_id)} rows; "
            f"first missing id: {missing[0] if missing else '-'}); re-run the evaluation"
        )
    paired = [other_by_id[p.id] for p in current]
    mine, theirs = encode_rows(current, labels), encode_rows(paired, labels)
    metrics = judged_metrics(evaluation)
    scopes: list[tuple[str, np.ndarray]] = [(OVERALL, np.arange(len(current)))]
    for spec in evaluation.slices:
        for value, rows in slice_groups(current, spec).items():
            if len(rows) >= evaluation.min_slice_size:
                scopes.append((f"slice {spec.name}={value}", np.array(rows)))
    tests = [
        {"scope": scope, **test}
        for scope, rows in scopes
        for test in paired_tests(mine.subset(rows), theirs.subset(rows), metrics, evaluation.bootstrap, seed)
    ]
    for test, adjusted in zip(tests, holm([t["p"] for t in tests]), strict=True):
        test["p_holm"] = adjusted
    return tests


def compare_models(
    targets: list[Target],
    examples: list[Example],
    card: TaskCard,
    evaluation: Evaluation,
    current: list[Prediction],
    split_dir: Path,
    seed: int = 0,
    console: Console | None = None,
) -> dict[str, Any]:
    """Score each target on `examples` (predictions kept under `split_dir/compare/NAME/`) and test
    the run's `current` predictions against it; the result is also written to comparisons.json."""
    compared = []
    for target in targets:
        out_dir = compare_dir(split_dir, target.name)
        (console or Console(stderr=True)).print(f"compare with {target.name}: {target.model}")
        metrics = evaluate_examples(
            target.model, examples, card, evaluation, out_dir, evaluation.batch_size, console, seed=seed,
            free_decoding=False,
        )  # fmt: skip
        other = read_predictions(out_dir / PREDICTIONS_FILE)
        compared.append(
            {
                **target.to_dict(),
                "metrics": {k: metrics[k] for k in ("n", *judged_metrics(evaluation), "invalid_rate", "ci")},
                "tests": compare_predictions(current, other, card.labels, evaluation, seed),
            }
        )
    result = {
        "split": split_dir.name,
        "n": len(current),
        "bootstrap": evaluation.bootstrap,
        "adjustment": "Holm, per target, over overall and every slice group of at least "
        f"{evaluation.min_slice_size} rows, every judged metric",
        "targets": compared,
    }
    write_comparisons(split_dir, result)
    return result


def write_comparisons(split_dir: Path, result: dict[str, Any]) -> None:
    split_dir.mkdir(parents=True, exist_ok=True)
    (split_dir / COMPARISONS_FILE).write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))


def read_comparisons(split_dir: Path) -> dict[str, Any] | None:
    path = split_dir / COMPARISONS_FILE
    return orjson.loads(path.read_bytes()) if path.is_file() else None
