"""The E2E NLG example end to end: `init` copies it with its notice, `run` trains a small cut of it
for a few steps, evaluates it by text metrics and fidelity and reports them, and `evaluate --data`
scores an `mr,ref` CSV input by input."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from tests.conftest import TINY_SIZES
from tests.unit.cli.example_runs import run_small
from tuneloop.cli import app
from tuneloop.spec import load_spec

runner = CliRunner()
INPUTS = 40  # the small cut: the first inputs of the file, with every reference of each


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`tuneloop init --example e2e-nlg`, once for the module."""
    path = tmp_path_factory.mktemp("gen") / "e2e"
    assert runner.invoke(app, ["init", "--example", "e2e-nlg", str(path)]).exit_code == 0
    return path


def test_init_copies_the_example_with_its_notice(project: Path) -> None:
    assert {p.name for p in (project / "data").iterdir()} == {"devset.csv", "NOTICE.md"}
    assert "CC BY-SA 4.0" in (project / "data" / "NOTICE.md").read_text()
    spec = load_spec(project)
    assert spec.objective.task == "generate" and spec.evaluation.metrics[:2] == ["bleu", "chrf"]
    assert "| `familyFriendly` |" in (project / "guidelines.md").read_text()


def _cut(project: Path, out: Path) -> int:
    """The rows of the first `INPUTS` inputs; returns how many rows."""
    with (project / "data" / "devset.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    first = list(dict.fromkeys(r["mr"] for r in rows))[:INPUTS]
    kept = [r for r in rows if r["mr"] in set(first)]
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["mr", "ref"])
        writer.writeheader()
        writer.writerows(kept)
    return len(kept)


@pytest.fixture(scope="module")
def small_run(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example cut to its first inputs, a tiny model and three steps, run once."""
    small = tmp_path_factory.mktemp("gen") / "small"
    (small / "data").mkdir(parents=True)
    _cut(project, small / "data" / "devset.csv")
    (small / "guidelines.md").write_text((project / "guidelines.md").read_text())
    spec = YAML().load((project / "tuneloop.yaml").read_text())
    spec["model"]["tiny"] = dict(TINY_SIZES)
    spec["splits"] = {"validation": 0.25, "test": 0.25}
    spec["evaluation"].update({"bootstrap": 100, "max_new_tokens": 12, "min_slice_size": 5})
    spec["evaluation"]["gates"] = [{"metric": "chrf", "min": 0}, {"metric": "bleu", "max_drop": 100}]
    for phase in spec["phases"]:
        phase.update({"epochs": 1, "max_steps": 3, "batch_size": 16, "logging_steps": 1})
    spec["phases"][-1].update({"eval_every": 3, "eval_rows": 4, "gate": ["val.chrf >= 0"]})  # watched
    return run_small(small, spec)


def test_run_keeps_inputs_whole_and_scores_text_with_intervals(small_run: Path) -> None:
    manifest = orjson.loads((small_run / "data" / "manifest.json").read_bytes())
    assert sum(manifest["counts"]["splits"].values()) == INPUTS  # one example per input
    test = orjson.loads((small_run / "eval" / "test" / "metrics.json").read_bytes())
    assert test["n"] == INPUTS // 4
    for key in ("bleu", "chrf", "rouge_l", "exact_match", "length_ratio", "slot_error_rate"):
        low, high = test["ci"][key]
        assert low <= test[key] <= high, key
    assert test["references"]["per_input"] > 5  # E2E inputs have about eight references each
    assert set(test["fidelity"]["attributes"]) >= {"name", "eatType"}
    assert test["checks"]["truncated"] <= test["n"]
    assert set(test["slices"]) == {"attributes", "family"}
    record = orjson.loads((small_run / "run.json").read_bytes())
    assert record["status"] == "evaluated" and "bleu" in record["evaluation"]["test"]
    assert [v["gate"] for v in record["evaluation_gates"]] == [
        "chrf >= 0",
        "bleu drop <= 100 vs previous round (p < 0.05)",
    ]
    comparisons = orjson.loads((small_run / "eval" / "test" / "comparisons.json").read_bytes())
    (base,) = comparisons["targets"]
    tests = {t["metric"]: t for t in base["tests"] if t["scope"] == "overall"}
    assert tests["bleu"]["test"] == "paired bootstrap" and tests["exact_match"]["test"] == "McNemar exact"


def test_the_report_and_card_show_metrics_fidelity_and_samples(small_run: Path) -> None:
    test = orjson.loads((small_run / "eval" / "test" / "metrics.json").read_bytes())
    report = (small_run / "report.html").read_text()
    assert "Generated text (test)" in report and 'id="fidelity"' in report and 'id="samples"' in report
    assert "TGen, the E2E NLG challenge" in report and "a different test set" in report
    first = test["samples"][0]
    assert first["references"][0].replace("'", "&#39;") in report
    card = (small_run / "MODEL_CARD.md").read_text()
    assert "## Generated text (test)" in card and f"| BLEU (points) | {test['bleu']:.3f} |" in card
    assert "| attribute | stated | omitted | contradicted | added |" in card


def test_a_generate_phase_is_watched_by_its_text_metrics_and_gated_on_them(small_run: Path) -> None:
    record = orjson.loads((small_run / "run.json").read_bytes())
    task = record["phases"][-1]
    metrics = small_run / "phases" / f"{len(record['phases'])}-{task['name']}" / "metrics.jsonl"
    (evaluation,) = [r for r in map(orjson.loads, metrics.read_bytes().splitlines()) if r["kind"] == "eval"]
    assert evaluation["step"] == 3 and evaluation["loss"] > 0
    for key in ("chrf", "bleu", "rouge_l"):
        assert 0 <= evaluation[key] <= 100, key
    assert 0 <= evaluation["exact_match"] <= 1 and 0 <= evaluation["invalid_rate"] <= 1
    assert task["gates"] == [
        {"gate": "val.chrf >= 0", "actual": evaluation["chrf"], "threshold": 0.0, "passed": True}
    ]


def test_evaluate_groups_an_mr_ref_csv_by_input(small_run: Path, tmp_path: Path) -> None:
    data = tmp_path / "cut.csv"
    rows = _cut(small_run.parent.parent, data)
    result = runner.invoke(app, ["evaluate", str(small_run), "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.stdout)
    assert payload["n"] == INPUTS
    assert payload["references"]["total"] + payload["data"]["skipped"] == rows  # repeats: once each
    assert {"bleu", "rouge_l", "chrf", "slot_error_rate"} <= set(payload)
