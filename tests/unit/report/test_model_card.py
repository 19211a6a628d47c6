"""The model card from what a run left on disk, written here by hand (no model, no training)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson

from tests.unit.evaluate.factories import prediction
from tuneloop.evaluate.baselines import Baselines
from tuneloop.evaluate.collapse import collapse_alarm
from tuneloop.evaluate.compare import compare_predictions
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.runner import evaluation_intervals
from tuneloop.feedback.review_files import write_review_results
from tuneloop.report.model_card import model_card
from tuneloop.spec import load_spec


def _run(make_project: Callable[..., Path], with_extras: bool) -> Path:
    evaluation = {
        "metrics": ["accuracy"],
        "bootstrap": 200,
        "min_slice_size": 5,
        "slices": [{"name": "card", "keywords": ["card"]}],
        "gates": [{"metric": "accuracy", "min": 0.9}],
    }
    project = make_project(rows=60, labels=3, evaluation=evaluation)
    spec = load_spec(project)
    run_dir = project / "runs" / "run-001"
    (run_dir / "eval" / "test").mkdir(parents=True)
    labels = spec.label_names
    rows = _rows(labels)
    metrics = {
        **classification_metrics(rows, labels),
        "mapping_rule": "exact",
        **evaluation_intervals(rows, labels, spec.evaluation, 0),
    }
    (run_dir / "eval" / "test" / "metrics.json").write_bytes(orjson.dumps(metrics))
    verdict = {
        "gate": "accuracy >= 0.9",
        "scope": "overall (test)",
        "passed": False,
        "detail": "accuracy 0.750",
    }
    record = {
        "project": str(project),
        "spec": spec.model_dump(mode="json"),
        "final_model": "/models/final",
        "base_model": "/models/base",
        "guidelines": {"path": "guidelines.md", "sha256": "abc123"},
        "phases": [{"name": spec.phases[0].name, "steps": 8, "gates": []}],
        "evaluation_gates": [verdict],
        "status": "stopped: 1 evaluation gate verdict(s) failed",
    }
    (run_dir / "run.json").write_bytes(orjson.dumps(record))
    if with_extras:
        base = [prediction(p.id, p.gold or "", None, text=p.text) for p in rows]
        tests = compare_predictions(rows, base, labels, spec.evaluation)
        comparisons = {
            "split": "test",
            "n": 20,
            "adjustment": "Holm",
            "targets": [
                {
                    "name": "base",
                    "kind": "base",
                    "model": "/models/base",
                    "against": ["base"],
                    "metrics": {
                        "n": 20,
                        "accuracy": 0.0,
                        "invalid_rate": 1.0,
                        "ci": {"accuracy": [0.0, 0.0]},
                    },
                    "tests": tests,
                }
            ],
        }
        (run_dir / "eval" / "test" / "comparisons.json").write_bytes(orjson.dumps(comparisons))
        family = {"rows_swapped": 12, "flip_rate": 0.0833, "p": 0.5, "flips": [{"id": "r1"}]}
        fairness = {"counterfactual": {"families": {"gender": family}}}
        (run_dir / "eval" / "test" / "fairness.json").write_bytes(orjson.dumps(fairness))
        review = {
            "items_reviewed": 10,
            "reviewers": ["simulated-reviewer-1", "simulated-reviewer-2"],
            "simulated": ["simulated-reviewer-1", "simulated-reviewer-2"],
            "human_accuracy": 0.6,
            "automatic_accuracy": 0.7,
            "kappa_human_automatic": 0.78,
            "reviewer_agreement": 0.81,
            "mean_rating": 3.4,
            "candidates": 4,
        }
        write_review_results(run_dir, review)
    return run_dir


def _rows(labels: list[str]) -> list[Prediction]:
    """The model's test predictions: gold always the first label, right on 3 rows of 4."""
    return [
        prediction(f"r{i}", labels[0], labels[0] if i % 4 else labels[1], text="card" if i < 3 else "other")
        for i in range(20)
    ]


def test_the_card_records_data_phases_slices_comparisons_fairness_review_and_limits(
    make_project: Callable[..., Path],
) -> None:
    card = model_card(_run(make_project, with_extras=True))
    assert "- guidelines: `guidelines.md` (sha256 abc123)" in card
    assert "| card | match | 3 | " in card and "too small" in card  # 3 rows < min_slice_size 5
    assert "| base | overall | accuracy | 0.000 -> 0.750 | +0.750 [" in card
    assert "| gender | 12 | 0.0833 | 0.5 | 1 |" in card  # B's scalars, whatever their names, and flips
    assert "SIMULATED reviewers" in card and "human-judged accuracy 60.0% vs automatic 70.0%" in card
    limits = card.split("## Known limitations")[1]
    assert "slice card: too few rows to judge match (n=3)" in limits
    assert "failing gate accuracy >= 0.9 [overall (test)]: accuracy 0.750" in limits
    assert "fairness" not in limits and "reviewed" not in limits


def test_missing_fairness_and_review_are_named_as_limitations(make_project: Callable[..., Path]) -> None:
    card = model_card(_run(make_project, with_extras=False))
    assert "No fairness results for this run" in card and "No reviewed outputs yet." in card
    limits = card.split("## Known limitations")[1]
    assert "no counterfactual fairness check was run" in limits
    assert "no person has reviewed the model's outputs" in limits


def test_a_run_stopped_before_training_shows_no_none(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=60, labels=3)
    run_dir = project / "runs" / "run-001"
    run_dir.mkdir(parents=True)
    record = {"project": str(project), "spec": load_spec(project).model_dump(mode="json"), "status": "failed"}
    (run_dir / "run.json").write_bytes(orjson.dumps(record))
    card = model_card(run_dir)
    assert "None" not in card, card
    assert "built from this project's text (not built yet)" in card
    assert "the model was not evaluated" in card


def test_the_card_says_what_a_preference_phase_trained_on(make_project: Callable[..., Path]) -> None:
    phases = [{"name": "likes", "kind": "kto"}, {"name": "pairs", "kind": "dpo"}]
    project = make_project(rows=60, labels=3, phases=phases)
    run_dir = project / "runs" / "run-001"
    run_dir.mkdir(parents=True)
    kto = {"rows": 8, "beta": 0.1, "desirable": 2, "undesirable": 6}
    kto |= {"desirable_weight": 3.5, "undesirable_weight": 1.0}
    ran = [
        {"name": "likes", "steps": 2, "gates": [], "preference": kto},
        {"name": "pairs", "steps": 2, "gates": [], "preference": {"rows": 3, "beta": 0.2}},
    ]
    spec = load_spec(project).model_dump(mode="json")
    record = {"project": str(project), "spec": spec, "status": "trained", "phases": ran}
    (run_dir / "run.json").write_bytes(orjson.dumps(record))
    card = model_card(run_dir)
    assert "; 8 ratings (2 up, 6 down; weights 3.5:1), beta 0.1 |" in card
    assert "; 3 pairs, beta 0.2 |" in card


def _with_baselines(run_dir: Path, labels: list[str]) -> None:
    """Baselines and the collapse check beside the test split's metrics, as the run writes them:
    both baselines answer the first label, right on every row."""
    path = run_dir / "eval" / "test" / "metrics.json"
    metrics = orjson.loads(path.read_bytes())
    model, evaluation = _rows(labels), load_spec(run_dir.parents[1]).evaluation
    metrics["baselines"] = Baselines(labels[0], None).report(model, labels, evaluation, 0)
    metrics["collapse"] = collapse_alarm(model, metrics["baselines"]["majority"])
    path.write_bytes(orjson.dumps(metrics))


def test_the_card_shows_the_baselines_and_a_collapse_alarm_first_among_limits(
    make_project: Callable[..., Path],
) -> None:
    run_dir = _run(make_project, with_extras=True)
    labels = load_spec(run_dir.parents[1]).label_names
    _with_baselines(run_dir, labels)
    card = model_card(run_dir)
    table = card.split("## Baselines (test)")[1].split("##")[0]
    assert "| model | accuracy | this model - it (accuracy) |" in table
    assert "| this model | 0.750 [" in table and "] | - |" in table
    assert f"| majority baseline (always {labels[0]!r}) | 1.000 [1.000, 1.000] | -0.250 [" in table
    assert "| TF-IDF logistic regression (fitted on the train split) | 1.000 [" in table
    assert "| base model (/models/base) | 0.000 [0.000, 0.000] | +0.750 [" in table
    limits = card.split("## Known limitations")[1]
    first = limits.strip().splitlines()[0]
    assert first.startswith(
        f"- COLLAPSE ALARM on test: accuracy 0.750 does not beat the majority baseline ({labels[0]!r} for "
        "every row: 1.000) significantly: McNemar exact p = 0.0625"
    )
