"""The NLU++ banking example end to end: `init` copies it, `check` shows its label balance, `run`
trains, evaluates (label sets, threshold, baselines) and reports a small cut of it, and annotation,
not built yet for label sets, refuses it with one clear error (exit 2)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from tests.conftest import TINY_SIZES
from tuneloop.cli import app
from tuneloop.evaluate.multilabel_metrics import SET_METRICS
from tuneloop.spec import load_spec

runner = CliRunner()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ml") / "nlupp"
    result = runner.invoke(app, ["init", "--example", "nlupp-banking", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_init_lists_and_copies_the_example_with_its_notice(project: Path, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["init", "--example", "nope", str(tmp_path / "x")])
    assert unknown.exit_code == 2 and "nlupp-banking" in unknown.output
    assert {p.name for p in (project / "data").iterdir()} == {
        "train.json",
        "test.json",
        "NOTICE.md",
        "LICENSE",
    }
    assert "CC BY 4.0" in (project / "data" / "NOTICE.md").read_text()
    spec = load_spec(project)
    assert spec.objective.task == "multilabel" and len(spec.labels) == 48
    guidelines = (project / "guidelines.md").read_text()
    assert all(f"- **{name}**:" in guidelines for name in spec.label_names)  # a rule for every module


def test_check_shows_the_label_balance_and_the_one_bad_row(project: Path) -> None:
    result = runner.invoke(app, ["check", str(project), "--json"])
    report = orjson.loads(result.stdout)
    assert report["counts"]["read"] == 2071 and report["counts"]["quarantined"] == 1
    (dup,) = [f for f in report["findings"] if f["code"] == "duplicate_label"]
    assert dup["file"] == "data/test.json" and dup["severity"] == "error"
    assert "'transfer_payment_deposit' is listed more than once" in dup["message"]
    sets = report["checks"]["balance"]["multilabel"]
    assert sets["rows"] == 2070 and len(sets["label_counts"]) == 48
    assert set(sets["split_counts"]) == {"train", "validation", "test"}
    assert sets["set_sizes"]["0"] == 88
    rare = {f["message"].split("'")[1] for f in report["findings"] if f["code"] == "rare_label"}
    assert rare == {label for label, n in sets["label_counts"].items() if n < 10}
    plain = runner.invoke(app, ["check", str(project)])
    assert "rows holding each label (fewest first)" in plain.output
    assert "most frequent pairs:" in plain.output


def test_annotation_refuses_a_multilabel_project(project: Path) -> None:
    result = runner.invoke(app, ["annotate", "status", str(project)])
    assert result.exit_code == 2
    assert "multi-label annotation is not built yet (issue 15)" in result.output
    assert not (project / "annotations.db").exists()


@pytest.fixture(scope="module")
def small_run(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example cut to 160 train and 40 test rows, a tiny model and a few steps, run once."""
    small = tmp_path_factory.mktemp("ml") / "small"
    (small / "data").mkdir(parents=True)
    for name, rows in (("train.json", 160), ("test.json", 40)):
        records = orjson.loads((project / "data" / name).read_bytes())[:rows]
        (small / "data" / name).write_bytes(orjson.dumps(records))
    (small / "guidelines.md").write_text((project / "guidelines.md").read_text())
    yaml = YAML()
    spec = yaml.load((project / "tuneloop.yaml").read_text())
    spec["model"]["tiny"] = dict(TINY_SIZES)
    spec["evaluation"] = {"bootstrap": 100, "gates": [{"metric": "micro_f1", "beats": "majority"}]}
    for phase in spec["phases"]:
        phase.update({"epochs": 1, "max_steps": 3, "batch_size": 16, "logging_steps": 1})
    with (small / "tuneloop.yaml").open("w") as fh:
        yaml.dump(spec, fh)
    result = runner.invoke(app, ["run", str(small)])
    assert "Traceback" not in result.output, result.output
    return small / "runs" / "run-001"


def test_run_evaluates_label_sets_beside_the_baselines_and_reports_them(small_run: Path) -> None:
    validation = orjson.loads((small_run / "eval" / "validation" / "metrics.json").read_bytes())
    test = orjson.loads((small_run / "eval" / "test" / "metrics.json").read_bytes())
    for key in (*SET_METRICS, "invalid_rate", "per_label", "pr_curve", "invalid_outputs"):
        assert key in test, key
    assert validation["threshold"]["tuned_on"] == "these rows"
    assert test["threshold"] == {
        **test["threshold"],
        "value": validation["threshold"]["value"],
        "tuned_on": "validation",
    }
    assert set(test["ci"]) == {"micro_f1", "macro_f1", "exact_set"}
    assert set(test["baselines"]) == {"majority", "tfidf_logreg"}
    assert test["baselines"]["tfidf_logreg"]["tests"][0]["metric"] == "micro_f1"
    assert test["invalid_outputs"]["count"] == round(test["invalid_rate"] * test["n"])
    record = orjson.loads((small_run / "run.json").read_bytes())
    (verdict,) = record["evaluation_gates"]
    assert verdict["gate"] == "micro_f1 beats majority (p < 0.05)"
    report = (small_run / "report.html").read_text()
    assert "Labels (test)" in report and "micro-averaged precision-recall curve" in report
    assert "TF-IDF logistic regression" in report
    card = (small_run / "MODEL_CARD.md").read_text()
    assert "## Labels (test)" in card and "label (worst F1 first)" in card


def test_evaluate_scores_a_multilabel_model_on_a_file(small_run: Path, tmp_path: Path) -> None:
    data = small_run.parent.parent / "data" / "test.json"
    result = runner.invoke(app, ["evaluate", str(small_run), "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.stdout)
    assert payload["n"] == 40 and payload["threshold"]["value"] == 0.5  # no validation split to tune on
    assert 0 <= payload["micro_f1"] <= 1
