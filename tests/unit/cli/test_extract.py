"""The NLU++ slots example end to end: `init` copies it with its notice, `run` trains a small cut
for a few steps, evaluates it field by field with intervals and reports it, the phase is watched
by field metrics, and `evaluate --data` reads NLU++ records and names the field metrics."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from tests.conftest import TINY_SIZES
from tests.unit.cli.example_runs import has_notice, run_small
from tuneloop.cli import app
from tuneloop.spec import load_spec

runner = CliRunner()
TRAIN, TEST = 80, 30  # the small cut: the first rows of each file


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ext") / "slots"
    assert runner.invoke(app, ["init", "--example", "nlupp-slots", str(path)]).exit_code == 0
    return path


def test_init_copies_the_example_with_its_notice(project: Path) -> None:
    assert has_notice(project, "CC BY 4.0")
    spec = load_spec(project)
    assert spec.objective.task == "extract" and spec.evaluation.metrics[0] == "field_micro_f1"
    assert len(spec.field_schema) == 13 and all(f.span for f in spec.field_schema)
    assert "**date_period**" in (project / "guidelines.md").read_text()
    real = load_spec(project / "smollm2-lora.yaml")  # the real-model recipe: the same fields and data
    assert real.field_schema == spec.field_schema and real.model.base == "models/smollm2-135m-instruct"
    assert (real.system_prompt or "").startswith("Answer with one JSON object")  # no prompt of its own


@pytest.fixture(scope="module")
def small_run(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example cut to its first rows, a tiny model and three steps, run once."""
    small = tmp_path_factory.mktemp("ext") / "small"
    (small / "data").mkdir(parents=True)
    for name, rows in (("train.json", TRAIN), ("test.json", TEST)):
        (small / "data" / name).write_bytes(
            orjson.dumps(orjson.loads((project / "data" / name).read_bytes())[:rows])
        )
    (small / "guidelines.md").write_text((project / "guidelines.md").read_text())
    spec = YAML().load((project / "tuneloop.yaml").read_text())
    spec["model"]["tiny"] = {**TINY_SIZES, "context_length": 1024}  # a tokenizer of 64 rows splits finely
    spec["splits"]["validation"] = 0.2
    spec["evaluation"].update({"bootstrap": 100, "max_new_tokens": 48, "min_slice_size": 5})
    spec["evaluation"]["gates"] = [{"metric": "field_micro_f1", "min": 0}]
    for phase in spec["phases"]:
        phase.update({"epochs": 1, "max_steps": 3, "batch_size": 16, "logging_steps": 1, "max_length": 1024})
    spec["phases"][-1].update({"eval_every": 3, "eval_rows": 4, "gate": ["val.field_micro_f1 >= 0"]})
    with (small / "tuneloop.yaml").open("w") as fh:
        YAML().dump(spec, fh)
    for args in (["import", str(small), "--limit", "20"], ["simulate", str(small), "--items", "20"]):
        assert runner.invoke(app, ["annotate", *args]).exit_code == 0  # people's records feed the round
    return run_small(small, spec)


def test_run_scores_fields_with_intervals_and_gates_on_them(small_run: Path) -> None:
    test = orjson.loads((small_run / "eval" / "test" / "metrics.json").read_bytes())
    assert test["n"] == TEST
    for key in ("field_micro_f1", "field_macro_f1", "exact_record", "field_micro_precision"):
        low, high = test["ci"][key]
        assert low <= test[key] <= high, key
    assert list(test["per_field"])[:3] == ["date", "date_period", "date_from"]
    assert sum(f["support"] for f in test["per_field"].values()) > 0
    assert 0 <= test["invalid_rate"] <= 1 and test["invalid_outputs"]["count"] == round(
        test["invalid_rate"] * TEST
    )
    assert set(test["slices"]) == {"length"}
    assert test["scoring"]["decoding"] == "constrained" and test["invalid_rate"] == 0.0  # always validates
    free = test["free_decoding"]
    assert free["n"] == TEST and free["constrained_invalid_rate"] == 0.0 and free["free_invalid_rate"] >= 0.0
    record = orjson.loads((small_run / "run.json").read_bytes())
    assert record["status"] == "evaluated" and "field_micro_f1" in record["evaluation"]["test"]
    manifest = orjson.loads((small_run / "data" / "manifest.json").read_bytes())
    gold = manifest["gold"]
    applied = sum(n for kind in gold["by_kind"].values() for n in kind.values())
    assert (
        gold["by_kind"]["adjudicated"] and applied + sum(gold["withheld"].values()) == 20
    )  # every record is counted
    assert [v["gate"] for v in record["evaluation_gates"]] == ["field_micro_f1 >= 0"]
    comparisons = orjson.loads((small_run / "eval" / "test" / "comparisons.json").read_bytes())
    tests = {t["metric"]: t for t in comparisons["targets"][0]["tests"] if t["scope"] == "overall"}
    assert tests["field_micro_f1"]["test"] == "paired bootstrap"


def test_the_report_and_card_show_each_field(small_run: Path) -> None:
    report = (small_run / "report.html").read_text()
    assert "Extracted fields (test)" in report and 'id="fields"' in report and "hallucinated" in report
    assert "Agreement per field" in report and "over every field of every record" in report
    card = (small_run / "MODEL_CARD.md").read_text()
    assert "## Extracted fields (test)" in card and "| date_period |" in card
    assert "Decoded without the constraint, the first 30 inputs give" in card


def test_the_phase_is_watched_by_field_metrics(small_run: Path) -> None:
    record = orjson.loads((small_run / "run.json").read_bytes())
    metrics = small_run / "phases" / f"{len(record['phases'])}-task" / "metrics.jsonl"
    (evaluation,) = [r for r in map(orjson.loads, metrics.read_bytes().splitlines()) if r["kind"] == "eval"]
    assert 0 <= evaluation["field_micro_f1"] <= 1 and 0 <= evaluation["invalid_rate"] <= 1
    assert record["phases"][-1]["gates"][0]["passed"] is True


def test_evaluate_reads_nlupp_records_and_names_the_field_metrics(small_run: Path) -> None:
    data = small_run.parent.parent / "data" / "test.json"
    result = runner.invoke(app, ["evaluate", str(small_run), "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.stdout)
    assert payload["n"] == TEST and {"field_micro_f1", "invalid_rate", "per_field"} <= set(payload)
