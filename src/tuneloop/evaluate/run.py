"""The evaluate stage of a round: the final model on validation and test beside the baselines
fitted on the train split (with the collapse alarm), then, on the gated split, the paired
comparisons, the fairness checks and every gate's verdict.

    evaluate_run(run_dir, console)      what `tuneloop run` and `tuneloop evaluate --run` call

Each step reads what the one before left in the run directory, so each can be redone alone:
`run_verdicts` re-judges the gates from the files without scoring anything again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.data.version import DatasetVersion
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.baselines import HEADLINE_METRICS, METRICS_BY_TASK, fit_baselines
from tuneloop.evaluate.collapse import collapse_alarm, same_answer_alarm
from tuneloop.evaluate.compare import compare_models, comparison_targets, read_comparisons
from tuneloop.evaluate.fairness.assessment import fairness_report, read_fairness, write_fairness
from tuneloop.evaluate.fairness.gates import fairness_verdicts
from tuneloop.evaluate.gates import evaluation_verdicts
from tuneloop.evaluate.runner import evaluate_examples, read_predictions
from tuneloop.models import load_for_inference
from tuneloop.run_dir import (
    EVAL_DIR,
    EVAL_METRICS_FILE,
    EVAL_SPLITS,
    PREDICTIONS_FILE,
    data_dir,
    eval_dir,
    previous_round,
    read_json,
    read_record,
    update_record,
    write_json,
)
from tuneloop.spec import LABELLED_TASKS, ProjectSpec
from tuneloop.spec.recorded import run_spec
from tuneloop.task_card import TaskCard
from tuneloop.verdict import Verdict


def evaluate_run(
    run_dir: Path,
    console: Console,
    splits: tuple[str, ...] = EVAL_SPLITS,
    model_dir: Path | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    """Evaluate a model on a run's splits: by default the final model, recorded in the run.

    With `model_dir` (an earlier phase, another round's model) the results are returned and,
    with `out_dir`, written there; the run's own record is left as it is.
    """
    spec, record = run_spec(run_dir), read_record(run_dir)
    if record.final_model is None:
        raise TuneloopError(f"{run_dir}: the run has no trained model yet (status: {record.status})")
    own = model_dir is None
    dataset = DatasetVersion.load(data_dir(run_dir))
    model = record.final_model if own else str(model_dir)
    target = run_dir / EVAL_DIR if own else out_dir
    loaded = load_for_inference(model)
    results = {}
    card = run_card(run_dir, spec)
    for split in splits:
        examples = dataset.split(split)
        if examples:
            results[split] = evaluate_examples(
                model,
                examples,
                card,
                spec.evaluation,
                target / split if target else None,
                spec.evaluation.batch_size,
                console,
                loaded,
                seed=spec.seed,
                tune=split == "validation" and card.task == "multilabel",
            )
            card = tuned_card(card, results[split], split)
    if own:
        _record_and_judge(run_dir, spec, dataset, results, loaded, console)
    return results


def run_card(run_dir: Path, spec: ProjectSpec) -> TaskCard:
    """The task card the run's evaluation scores with: a multilabel task's at the threshold its
    validation split was tuned to, when that split has been evaluated."""
    card = TaskCard.from_spec(spec)
    validation = read_json(eval_dir(run_dir, "validation") / EVAL_METRICS_FILE)
    return tuned_card(card, validation, "validation") if validation else card


def tuned_card(card: TaskCard, metrics: dict[str, Any], split: str) -> TaskCard:
    """After the validation split of a multilabel task, the card that decides label sets at the
    threshold tuned there: the later splits, comparisons and fairness swaps all use it."""
    tuned = (metrics.get("threshold") or {}).get("tuned_on") == "these rows"
    return replace(card, threshold=metrics["threshold"]["value"], threshold_source=split) if tuned else card


def _record_and_judge(
    run_dir: Path,
    spec: ProjectSpec,
    dataset: DatasetVersion,
    results: dict[str, Any],
    loaded: tuple[Any, Any],
    console: Console,
) -> None:
    """The run's own evaluation: the baselines and the collapse alarm beside each split, headline
    numbers in the record, then comparisons and fairness on the gated split, then every gate's
    verdict."""
    add_baselines(run_dir, spec, dataset, results, console)
    chosen = spec.evaluation.metrics
    recorded = (read_record(run_dir).evaluation or {}) | {s: headline(m, chosen) for s, m in results.items()}
    update_record(run_dir, evaluation=recorded, status="evaluated")
    gated = spec.evaluation.gate_split
    if gated in results:
        compare_run(run_dir, spec, dataset.split(gated), console)
        if spec.objective.task in LABELLED_TASKS:  # the swaps count flipped labels: free text has none
            assess_fairness(run_dir, spec, dataset, loaded, console)
        else:
            console.print(
                f"fairness checks count flipped labels; task {spec.objective.task} has none to flip, "
                "so it is not assessed for fairness"
            )
    update_record(run_dir, evaluation_gates=run_verdicts(run_dir))


def add_baselines(
    run_dir: Path, spec: ProjectSpec, dataset: DatasetVersion, results: dict[str, Any], console: Console
) -> None:
    """The majority and TF-IDF baselines of the train split scored on each evaluated split's rows,
    and the collapse alarm, added to `results` and to eval/SPLIT/metrics.json. A task kind
    without labels gets the alarm of one answer for nearly every row (`same_answer_alarm`) alone;
    a run without labelled train rows gets neither."""
    train = [e for e in dataset.split("train") if e.label is not None]
    task = spec.objective.task
    if task not in METRICS_BY_TASK:  # no labels to fit a baseline on: the alarm of one answer alone
        for split, metrics in results.items():
            model = read_predictions(eval_dir(run_dir, split) / PREDICTIONS_FILE)
            _alarm(run_dir, split, metrics, same_answer_alarm(model), console)
        return
    if not train or not results:
        return
    started = time.perf_counter()
    baselines = fit_baselines(train, spec.label_names, spec.seed)
    console.print(
        f"baselines: majority {'set' if task == 'multilabel' else 'label'} {baselines.majority!r} and TF-IDF "
        "logistic regression, fitted on "
        f"{len(train)} train rows in {time.perf_counter() - started:.1f} s"
    )
    for split, metrics in results.items():
        split_dir = eval_dir(run_dir, split)
        model = read_predictions(split_dir / PREDICTIONS_FILE)
        metrics["baselines"] = baselines.report(model, spec.label_names, spec.evaluation, spec.seed, task)
        # the alarm's label checks count single labels
        collapse = collapse_alarm(model, metrics["baselines"]["majority"]) if task == "classify" else None
        _alarm(run_dir, split, metrics, collapse, console)


def _alarm(
    run_dir: Path, split: str, metrics: dict[str, Any], collapse: dict[str, Any] | None, console: Console
) -> None:
    """The split's metrics.json written with its collapse alarm (if any), the reasons said."""
    if collapse is not None:
        metrics["collapse"] = collapse
    write_json(eval_dir(run_dir, split) / EVAL_METRICS_FILE, metrics)
    for reason in (collapse or {}).get("reasons", []):
        console.print(f"[bold red]collapse alarm ({split}):[/] {reason}", highlight=False)


def compare_run(run_dir: Path, spec: ProjectSpec, examples: list[Example], console: Console) -> None:
    """The run's final model against the base model, each earlier phase and the previous round,
    all re-scored on the gated split (results in eval/SPLIT/comparisons.json)."""
    record, split_dir = read_record(run_dir), eval_dir(run_dir, spec.evaluation.gate_split)
    assert record.base_model is not None
    targets = comparison_targets(record.base_model, record.phases or [], previous_round(run_dir))
    current = read_predictions(split_dir / PREDICTIONS_FILE)
    card = run_card(run_dir, spec)
    compare_models(targets, examples, card, spec.evaluation, current, split_dir, spec.seed, console)


def assess_fairness(
    run_dir: Path, spec: ProjectSpec, dataset: DatasetVersion, loaded: tuple[Any, Any], console: Console
) -> None:
    """Counterfactual swaps, group metrics and training-data skew on the gated split, from the
    final model's predictions just written (eval/SPLIT/fairness.json)."""
    split_dir = eval_dir(run_dir, spec.evaluation.gate_split)
    model, tokenizer = loaded
    result = fairness_report(
        model,
        tokenizer,
        run_card(run_dir, spec),
        dataset.split(spec.evaluation.gate_split),
        dataset.split("train"),
        spec.evaluation,
        console,
        read_predictions(split_dir / PREDICTIONS_FILE),
    )
    write_fairness(split_dir, result)


def run_verdicts(run_dir: Path) -> list[Verdict]:
    """The evaluation and fairness gates of the run's spec, judged on what the evaluation left on
    disk (a split never assessed for fairness has no fairness verdicts)."""
    spec = run_spec(run_dir)
    split_dir = eval_dir(run_dir, spec.evaluation.gate_split)
    verdicts = evaluation_verdicts(read_evaluation(run_dir), read_comparisons(split_dir), spec.evaluation)
    fairness = read_fairness(split_dir)
    if fairness is not None:
        verdicts += fairness_verdicts(fairness, spec.evaluation.fairness)
    return verdicts


def headline(metrics: dict[str, Any], chosen: Sequence[str]) -> dict[str, Any]:
    """The numbers people look at first: the size, the spec's `evaluation.metrics`, the invalid
    rate (a multilabel task: the threshold and the micro-F1 at 0.5), then (the run's own
    evaluation) each baseline's headline and chosen metrics (classify: accuracy and macro-F1;
    multilabel: micro- and macro-F1), and whether the collapse alarm was raised, with its reasons."""
    out = {"n": metrics["n"], **{k: metrics[k] for k in chosen}, "invalid_rate": metrics["invalid_rate"]}
    if metrics.get("threshold"):  # a multilabel task's presence threshold, and what 0.5 gave
        out["threshold"] = metrics["threshold"]["value"]
        out["micro_f1_at_0.5"] = metrics["threshold"]["at_0.5"]["micro_f1"]
    shown = list(dict.fromkeys([*(m for task in HEADLINE_METRICS.values() for m in task), *chosen]))
    if "baselines" in metrics:
        out["baselines"] = {
            name: {k: baseline[k] for k in shown if k in baseline}
            for name, baseline in metrics["baselines"].items()
        }
    if "collapse" in metrics:
        out["collapse"] = {k: metrics["collapse"][k] for k in ("alarm", "reasons")}
    return out


def read_evaluation(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The full metrics of each evaluated split (per class, confusion, slices)."""
    found = {split: read_json(eval_dir(run_dir, split) / EVAL_METRICS_FILE) for split in EVAL_SPLITS}
    return {split: metrics for split, metrics in found.items() if metrics is not None}
