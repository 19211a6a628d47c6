"""The NLU++ banking example end to end as far as multi-label goes today: `init` copies it, `check`
shows its label balance, and every stage that cannot score or store label sets yet refuses it
with one clear error (exit 2) instead of crashing or mis-scoring."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tuneloop.cli import app
from tuneloop.spec import load_spec
from tuneloop.task_card import TaskCard

runner = CliRunner()
REFUSAL = "multi-label evaluation is not built yet (issue 15)"


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


def test_run_refuses_before_it_starts_a_run(project: Path) -> None:
    result = runner.invoke(app, ["run", str(project)])
    assert result.exit_code == 2
    assert REFUSAL in result.output and "Traceback" not in result.output
    assert not list((project / "runs").glob("run-*"))  # (check keeps its tokenizer under runs/)


def test_annotation_refuses_a_multilabel_project(project: Path) -> None:
    result = runner.invoke(app, ["annotate", "status", str(project)])
    assert result.exit_code == 2
    assert "multi-label annotation is not built yet (issue 15)" in result.output
    assert not (project / "annotations.db").exists()


def test_evaluating_a_multilabel_model_refuses(project: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    TaskCard.from_spec(load_spec(project)).save(model)
    result = runner.invoke(app, ["evaluate", str(model), "--data", str(project / "data" / "test.json")])
    assert result.exit_code == 2
    assert REFUSAL in result.output and "Traceback" not in result.output
