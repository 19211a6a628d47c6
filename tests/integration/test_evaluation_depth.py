"""A round with slices, comparisons and evaluation gates on a tiny model: run -> comparisons ->
gates -> report and model card, and `tuneloop evaluate --gate` in both directions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from tests.conftest import build_project
from tuneloop.cli import app

pytestmark = pytest.mark.integration
runner = CliRunner()

EVALUATION = {
    "metrics": ["accuracy", "macro_f1"],
    "bootstrap": 200,
    "min_slice_size": 10,
    "slices": [
        {"name": "card", "keywords": ["card", "cards"]},
        {"name": "question", "regex": r"\?\s*$"},
    ],
    "review": {"sample": 10},
    "fairness": {"max_flip_rate": 1.0},  # always met: the test is that the gate is judged and kept
    "gates": [
        {"metric": "accuracy", "max_drop": 0.03, "against": "base"},
        {"metric": "accuracy", "min": 0.99},  # out of reach for a model trained for seconds
        {"metric": "macro_f1", "max_drop": 0.03, "against": "previous_round"},
    ],
}


@pytest.fixture(scope="module")
def gated_round(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    project = build_project(
        tmp_path_factory.mktemp("gated") / "project", rows=160, labels=4, max_steps=20, evaluation=EVALUATION
    )
    result = runner.invoke(app, ["run", str(project), "--json"])
    return project / "runs" / "run-001", result


def _set_gates(run_dir: Path, gates: list[dict[str, Any]]) -> None:
    record = orjson.loads((run_dir / "run.json").read_bytes())
    record["spec"]["evaluation"]["gates"] = gates
    (run_dir / "run.json").write_bytes(orjson.dumps(record))


def test_a_failing_evaluation_gate_stops_the_round_with_report_and_model_card(
    gated_round: tuple[Path, Any],
) -> None:
    run_dir, result = gated_round
    assert result.exit_code == 1, result.output
    payload = orjson.loads(result.stdout)
    failed = [g for g in payload["gates"] if not g["passed"]]
    assert [(g["gate"], g["scope"]) for g in failed] == [("accuracy >= 0.99", "overall (test)")]
    record = orjson.loads((run_dir / "run.json").read_bytes())
    assert record["status"] == "stopped: 1 evaluation gate verdict(s) failed"
    assert "evaluation gate failed: accuracy >= 0.99 [overall (test)]" in result.output
    html = (run_dir / "report.html").read_text()
    for heading in ("Slices (test)", "Comparisons (test", "Evaluation gates"):
        assert heading in html
    card = (run_dir / "MODEL_CARD.md").read_text()
    assert "## Known limitations" in card and "failing gate accuracy >= 0.99 [overall (test)]" in card
    assert (
        f"dataset version `{orjson.loads((run_dir / 'data' / 'manifest.json').read_bytes())['hash']}`" in card
    )


def test_the_run_is_compared_with_the_base_and_each_earlier_phase_on_the_same_rows(
    gated_round: tuple[Path, Any],
) -> None:
    run_dir = gated_round[0]
    comparisons = orjson.loads((run_dir / "eval" / "test" / "comparisons.json").read_bytes())
    assert [t["name"] for t in comparisons["targets"]] == ["base", "phase-1-general"]
    own = (run_dir / "eval" / "test" / "predictions.jsonl").read_bytes().splitlines()
    for target in comparisons["targets"]:
        kept = (run_dir / "eval" / "test" / "compare" / target["name"] / "predictions.jsonl").read_bytes()
        assert [orjson.loads(x)["id"] for x in kept.splitlines()] == [orjson.loads(x)["id"] for x in own]
        overall = [t for t in target["tests"] if t["scope"] == "overall"]
        assert {t["metric"] for t in overall} == {"accuracy", "macro_f1"}
        assert all(t["p"] <= t["p_holm"] <= 1 for t in target["tests"])
    metrics = orjson.loads((run_dir / "eval" / "test" / "metrics.json").read_bytes())
    assert set(metrics["slices"]) == {"card", "question"}
    for groups in metrics["slices"].values():
        for group in groups.values():
            low, high = group["ci"]["accuracy"]
            assert low <= group["accuracy"] <= high and group["too_small"] == (group["n"] < 10)


def test_evaluate_gate_exits_0_when_the_gates_pass_and_1_when_one_fails(
    gated_round: tuple[Path, Any],
) -> None:
    run_dir = gated_round[0]
    # A previous round now exists: run-000, whose final model is this project's base model.
    base = orjson.loads((run_dir / "run.json").read_bytes())["base_model"]
    (run_dir.parent / "run-000").mkdir()
    (run_dir.parent / "run-000" / "run.json").write_bytes(orjson.dumps({"final_model": base}))
    passing = [g for g in EVALUATION["gates"] if "min" not in g]  # type: ignore[attr-defined]
    _set_gates(run_dir, passing)
    result = runner.invoke(app, ["evaluate", "--run", str(run_dir), "--split", "test", "--gate", "--json"])
    assert result.exit_code == 0, result.output
    gates = orjson.loads(result.stdout)["gates"]
    assert gates and all(g["passed"] for g in gates)
    assert any(g["scope"].endswith("vs previous-round-run-000") for g in gates)
    _set_gates(run_dir, [{"metric": "accuracy", "min": 0.99}])
    failing = runner.invoke(app, ["evaluate", "--run", str(run_dir), "--split", "test", "--gate"])
    assert failing.exit_code == 1
    assert "FAILED" in failing.stdout and "gate verdicts failed: accuracy >= 0.99" in failing.output


def test_gate_needs_the_runs_own_model(gated_round: tuple[Path, Any]) -> None:
    run_dir = gated_round[0]
    result = runner.invoke(app, ["evaluate", str(run_dir), "--run", str(run_dir), "--gate"])
    assert result.exit_code == 2 and "--gate checks a run's own final model" in result.output


def test_review_sample_simulate_and_results_reach_the_report_and_model_card(
    gated_round: tuple[Path, Any],
) -> None:
    run_dir = gated_round[0]
    sampled = runner.invoke(app, ["review", "sample", str(run_dir), "--json"])
    assert sampled.exit_code == 0, sampled.output
    assert orjson.loads(sampled.stdout)["drawn"] == 10
    simulated = runner.invoke(app, ["review", "simulate", str(run_dir)])
    assert simulated.exit_code == 0 and "SIMULATED reviewers" in simulated.stdout
    results = runner.invoke(app, ["review", "results", str(run_dir)])
    assert results.exit_code == 0, results.output
    assert "10 of 10 outputs reviewed (SIMULATED reviewers)" in results.stdout
    html = (run_dir / "report.html").read_text()
    assert "Human review of outputs" in html
    drawn = orjson.loads((run_dir / "review" / "results.json").read_bytes())["by_reason"]
    for reason, counts in drawn.items():  # every stratum with its item count, not a method's repr
        assert f'<td>{reason}</td><td class="num">{counts["items"]}</td>' in html
    assert "human-judged accuracy" in (run_dir / "MODEL_CARD.md").read_text()


def test_fairness_is_assessed_on_the_gated_split_and_its_gates_join_the_others(
    gated_round: tuple[Path, Any],
) -> None:
    run_dir = gated_round[0]
    fairness = orjson.loads((run_dir / "eval" / "test" / "fairness.json").read_bytes())
    families = fairness["counterfactual"]["families"]
    assert set(families) == {"gender", "names", "nationality", "location", "age"}
    record = orjson.loads((run_dir / "run.json").read_bytes())
    judged = {g["scope"] for g in record["evaluation_gates"] if g["gate"] == "flip rate <= 1"}
    assert judged == {f"family {name}" for name in families}
    assert "Fairness" in (run_dir / "report.html").read_text()
    assert "No fairness results" not in (run_dir / "MODEL_CARD.md").read_text()
