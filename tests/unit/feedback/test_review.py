"""Output review: the stratified, over-sampling draw; the store round trip with simulated
reviewers; results and candidate rows. No model: predictions are written by hand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.unit.evaluate.factories import prediction
from tuneloop.annotate.project import operator, project_store
from tuneloop.annotate.status import store_status
from tuneloop.annotate.store import disagreements, export_records, items_needing_review
from tuneloop.feedback.review_results import collect_review_results, summarise
from tuneloop.feedback.review_sample import allocate, draw_sample, flipped_ids, reasons, sample_for_review
from tuneloop.feedback.review_simulate import simulate_review
from tuneloop.spec import OutputReviewSpec, SliceSpec, load_spec

WHERE = ("/models/m", "run-002", "task")


def test_allocation_is_proportional_keeps_small_strata_and_never_exceeds_a_stratum() -> None:
    assert allocate({"a": 80, "b": 15, "c": 5}, 20) == {"a": 16, "b": 3, "c": 1}
    assert allocate({"a": 98, "b": 1, "c": 1}, 10) == {"a": 8, "b": 1, "c": 1}  # each gets one
    assert allocate({"a": 3, "b": 2}, 50) == {"a": 3, "b": 2}  # the whole split, no more
    assert sum(allocate({"a": 7, "b": 7, "c": 7}, 10).values()) == 10


def test_reasons_name_errors_low_confidence_and_flips() -> None:
    review = OutputReviewSpec(low_confidence_below=0.6)
    unsure = prediction("1", "a", "a", probabilities={"a": 0.55, "b": 0.45})
    assert reasons(unsure, review, set()) == ["low_confidence"]
    assert reasons(prediction("2", "a", "b"), review, {"2"}) == ["error", "flip"]
    assert reasons(prediction("3", "a", "a", probabilities={"a": 0.9, "b": 0.1}), review, set()) == [
        "ordinary"
    ]


def test_the_draw_is_stratified_by_slice_and_over_samples_errors() -> None:
    predictions = [
        prediction(f"r{i}", "a", "a" if i % 5 else "b", text="my card " if i < 100 else "hello " * 12)
        for i in range(400)
    ]  # 20% errors; 100 rows mention a card
    slices = [SliceSpec(name="card", keywords=["card"])]
    review = OutputReviewSpec(sample=40, oversample={"errors": 6})
    drawn = draw_sample(predictions, review, slices, set(), WHERE, seed=1)
    assert len(drawn) == 40 and len({d.id for d in drawn}) == 40
    assert Counter(d.stratum for d in drawn) == {"card=match": 10, "card=no match": 30}
    errors = sum("error" in d.reasons for d in drawn)
    assert errors > 40 * 0.2 * 2  # weight 6 for a fifth of the rows: about 60% errors, not 20%
    assert drawn[0].source_key == "model:/models/m:run-002:task:" + drawn[0].id
    assert draw_sample(predictions, review, slices, set(), WHERE, seed=1) == drawn  # seeded


def test_flipped_ids_come_from_every_family_of_the_fairness_result() -> None:
    fairness = {
        "counterfactual": {"families": {"gender": {"flips": [{"id": "a"}]}, "age": {"flips": [{"id": 7}]}}}
    }
    assert flipped_ids(fairness) == {"a", "7"}
    assert flipped_ids({}) == set()


def test_results_take_the_reviewers_majority_and_keep_corrections_as_candidates() -> None:
    sample = [
        {
            "source_key": k,
            "id": k,
            "text": f"text {k}",
            "gold": g,
            "predicted": p,
            "output": p or "",
            "reasons": r,
            "model": "m",
            "run": "run-002",
            "phase": "task",
        }
        for k, g, p, r in [
            ("k1", "a", "a", ["ordinary"]),
            ("k2", "a", "b", ["error"]),
            ("k3", "b", "b", ["ordinary"]),
            ("k4", "b", "a", ["error"]),
        ]
    ]
    ok, wrong = (
        {"rating": 5, "correct": True, "corrected": None},
        {"rating": 1, "correct": False, "corrected": "a"},
    )
    answers = {
        "k1": [("ann", ok, 1), ("bob", ok, 1)],
        "k2": [("ann", wrong, 2), ("bob", wrong, 2)],
        "k3": [("ann", ok, 3), ("bob", wrong, 3)],  # a tie: nobody vouches for it
        "k4": [],  # not reviewed yet
    }
    results, candidates = summarise(sample, answers)
    assert results["items_reviewed"] == 3 and results["items_drawn"] == 4
    assert results["human_accuracy"] == pytest.approx(1 / 3)
    assert results["automatic_accuracy"] == pytest.approx(2 / 3)
    assert results["by_reason"] == {
        "error": {"items": 1, "human_accuracy": 0.0},
        "ordinary": {"items": 2, "human_accuracy": 0.5},
    }
    assert results["mean_rating"] == pytest.approx((5 + 5 + 1 + 1 + 5 + 1) / 6)
    assert len(candidates) == 3 and {c["reviewer"] for c in candidates} == {"ann", "bob"}
    assert all(c["candidate"] is True and c["source"] == "output_review" for c in candidates)
    assert candidates[0]["text"] == "text k2" and candidates[0]["label"] == "a"


def _run_with_predictions(make_project: Callable[..., Path]) -> Path:
    project = make_project(
        rows=60, labels=3, evaluation={"review": {"sample": 12, "oversample": {"flips": 1000}}}
    )
    spec = load_spec(project)
    labels = spec.label_names
    run_dir = project / "runs" / "run-002"
    (run_dir / "eval" / "test").mkdir(parents=True)
    rows = [
        prediction(f"t{i}", labels[i % 3], labels[(i + (i % 4 == 0)) % 3], text=f"where is my card {i}")
        for i in range(30)
    ]
    (run_dir / "eval" / "test" / "predictions.jsonl").write_bytes(
        b"".join(orjson.dumps(p.to_dict()) + b"\n" for p in rows)
    )
    fairness = {"counterfactual": {"families": {"gender": {"flips": [{"id": "t1"}]}}}}
    (run_dir / "eval" / "test" / "fairness.json").write_bytes(orjson.dumps(fairness))
    record = {
        "project": str(project),
        "spec": spec.model_dump(mode="json"),
        "final_model": "/models/m",
        "phases": [{"name": "task", "model_dir": "/models/m"}],
    }
    (run_dir / "run.json").write_bytes(orjson.dumps(record))
    return run_dir


def test_sample_simulate_and_results_round_trip_through_the_store(make_project: Callable[..., Path]) -> None:
    run_dir = _run_with_predictions(make_project)
    drawn = sample_for_review(run_dir)
    assert drawn["drawn"] == 12 and drawn["new_items"] == 12 and drawn["reviewers_per_item"] == 2
    assert drawn["by_reason"]["flip"] == 1  # the flipped row, at a weight of 1000
    assert sample_for_review(run_dir)["new_items"] == 0  # sampling again adds nothing twice
    simulated = simulate_review(run_dir)
    assert simulated["submitted"] == 24 and simulate_review(run_dir)["submitted"] == 0
    results = collect_review_results(run_dir)
    assert results["items_reviewed"] == 12 and results["simulated"] == [
        "simulated-reviewer-1",
        "simulated-reviewer-2",
    ]
    assert 0 <= results["human_accuracy"] <= 1 and results["split"] == "test"
    candidates = (run_dir / "review" / "candidates.jsonl").read_bytes().splitlines()
    assert len(candidates) == results["candidates"] > 0
    assert orjson.loads(candidates[0])["candidate"] is True
    spec = load_spec(run_dir.parents[1])
    store = project_store(spec)
    with store.begin() as session:  # reviews judge the model: they never enter the data's labels
        assert export_records(session) == []
        assert disagreements(session) == [] and items_needing_review(session, operator(session)) == []
        assert store_status(session)["items"]["total"] == 0
    store.close()
