"""A whole round on a few hundred real BANKING77 rows: data, tiny model, two phases, evaluation, report."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from tests.conftest import banking_rows, build_project, write_csv
from tuneloop.cli import app

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture(scope="module")
def round_result(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    project = build_project(tmp_path_factory.mktemp("round") / "project", rows=300, labels=5, max_steps=150)
    result = runner.invoke(app, ["run", str(project), "--json"])
    assert result.exit_code == 0, result.output
    return project, orjson.loads(result.stdout)


def test_run_prints_one_json_object_with_headline_metrics(round_result: tuple[Path, dict]) -> None:
    project, payload = round_result
    assert Path(payload["run_dir"]) == project / "runs" / "run-001"
    for split in ("validation", "test"):
        m = payload[split]
        assert m["n"] == 45
        for key in ("accuracy", "macro_f1", "macro_recall", "invalid_rate"):
            assert 0.0 <= m[key] <= 1.0
        # 5 intents: chance is 0.2. 150 steps per phase teach the tiny model well beyond it.
        assert m["accuracy"] > 0.4 and m["invalid_rate"] < 0.2, m


def test_each_phase_changed_the_weights_and_lowered_the_loss(round_result: tuple[Path, dict]) -> None:
    run = orjson.loads((Path(round_result[1]["run_dir"]) / "run.json").read_bytes())
    weights = [load_file(Path(run["base_model"]) / "model.safetensors")]
    for phase in run["phases"]:
        assert phase["steps"] == 150
        assert phase["last_loss"] < phase["first_loss"], phase
        weights.append(load_file(Path(phase["model_dir"]) / "model.safetensors"))
        records = [
            orjson.loads(x) for x in (Path(phase["model_dir"]).parent / "metrics.jsonl").read_bytes().split()
        ]
        assert [r["step"] for r in records] == [1, *range(2, 151, 2)]  # the first step is always logged
    for before, after in itertools.pairwise(weights):
        assert any(not torch.equal(before[k], after[k]) for k in before)


def test_data_version_and_predictions_are_kept(round_result: tuple[Path, dict]) -> None:
    run_dir = Path(round_result[1]["run_dir"])
    manifest = orjson.loads((run_dir / "data" / "manifest.json").read_bytes())
    assert manifest["counts"] == {
        "read": 300,
        "kept": 300,
        "quarantined": 0,
        "splits": {"train": 210, "validation": 45, "test": 45, "unlabeled": 0, "general": 0},
    }
    predictions = (run_dir / "eval" / "test" / "predictions.jsonl").read_bytes().splitlines()
    assert len(predictions) == 45
    assert set(orjson.loads(predictions[0])) >= {"id", "text", "gold", "output", "predicted"}


def test_report_is_a_static_page_with_plots(round_result: tuple[Path, dict]) -> None:
    report = Path(round_result[1]["report"])
    html = report.read_text()
    assert report.name == "report.html"
    # loss curves, recall per class, confusion; input lengths and labels (no duplicates or findings
    # here); slice intervals and the differences against the base model and phase 1
    assert html.count('src="data:image/png;base64,') == 7
    assert "<script" not in html
    headings = (
        "Verdict",
        "Training",
        "Weakest classes",
        "Baselines",
        "Slices",
        "Comparisons",
        "Evaluation gates",
        "Data",
        "Data quality",
        "Setup",
    )
    places = [html.index(f"<h2>{heading}") for heading in headings]
    assert places == sorted(places)  # the verdict first, the data and setup last
    assert "<h3>Recall per class" in html and "<h3>Confusion matrix" in html
    assert "task: 210 of 210" in html  # the rows each phase drew, per source
    assert html.count(" / ") >= 2 and "% → " in html  # the general set before and after each phase


def test_evaluate_a_model_on_a_file_as_json(round_result: tuple[Path, dict], tmp_path: Path) -> None:
    held_out = banking_rows(400, labels=5)[300:340]
    data = write_csv(tmp_path / "held_out.csv", [*held_out, {"text": "", "category": "card_arrival"}])
    result = runner.invoke(
        app,
        [
            "evaluate",
            round_result[1]["run_dir"],  # a run directory stands for its final model
            "--data",
            str(data),
            "--text-field",
            "text",
            "--label-field",
            "category",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.stdout)
    assert payload["n"] == 40
    assert set(payload) >= {"n", "accuracy", "macro_f1", "macro_recall", "invalid_rate", "per_class"}
    assert payload["data"]["skipped"] == 1
    assert sum(c["support"] for c in payload["per_class"].values()) == 40


def test_a_second_run_gets_its_own_directory_and_reuses_the_base_model(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(rows=120, labels=3)
    first = runner.invoke(app, ["train", str(project), "--json"])
    assert first.exit_code == 0, first.output
    (base,) = (project / "runs" / "base-model").iterdir()  # one build, named by its fingerprint
    built = (base / "model.safetensors").stat().st_mtime_ns
    second = runner.invoke(app, ["train", str(project), "--json"])
    assert second.exit_code == 0, second.output
    assert orjson.loads(second.stdout)["run_dir"].endswith("run-002")
    assert [p.name for p in (project / "runs" / "base-model").iterdir()] == [base.name]
    assert (base / "model.safetensors").stat().st_mtime_ns == built


def test_a_base_model_directory_takes_the_same_path_as_a_hub_model(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    """`base:` a local Hugging Face directory: nothing is built, phase 1 loads it with from_pretrained."""
    from tests.conftest import TINY_SIZES
    from tuneloop.spec import TinyModel
    from tuneloop.train.base_model import build_tiny_model

    rows = banking_rows(120, labels=3)
    labels = sorted({r["category"] for r in rows})
    build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in rows], tmp_path / "my-model", labels)
    project = make_project(rows=120, labels=3, model={"base": str(tmp_path / "my-model")})
    result = runner.invoke(app, ["train", str(project), "--json"])
    assert result.exit_code == 0, result.output
    run = orjson.loads((Path(orjson.loads(result.stdout)["run_dir"]) / "run.json").read_bytes())
    assert run["base_model"] == str(tmp_path / "my-model")
    assert not (project / "runs" / "base-model").exists()


def test_a_generate_task_trains_on_chat_data_and_is_scored_by_text_metrics(
    make_project: Callable[..., Path],
) -> None:
    rows = banking_rows(60, labels=3)
    project = make_project(
        rows=60,
        labels=3,
        objective={"name": "explain-intent", "task": "generate"},
        data={"sources": [{"path": "data/chat.jsonl", "format": "chat"}]},
        evaluation={"max_new_tokens": 8, "bootstrap": 100},
    )
    (project / "data" / "chat.jsonl").write_bytes(
        b"\n".join(
            orjson.dumps(
                {
                    "messages": [
                        {"role": "user", "content": r["text"]},
                        {"role": "assistant", "content": f"Intent: {r['category']}."},
                    ]
                }
            )
            for r in rows
        )
    )
    result = runner.invoke(app, ["run", str(project), "--json"])
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.stdout)
    assert Path(payload["report"]).is_file()
    assert {"bleu", "chrf", "rouge_l", "exact_match"} <= set(payload["test"])


def test_evaluate_an_earlier_phase_on_one_split_of_the_run(
    round_result: tuple[Path, dict], tmp_path: Path
) -> None:
    run_dir = Path(round_result[1]["run_dir"])
    before = (run_dir / "run.json").read_bytes()
    phase_one = run_dir / "phases" / "1-general" / "model"
    result = runner.invoke(
        app,
        [
            "evaluate",
            str(phase_one),
            "--run",
            str(run_dir),
            "--split",
            "validation",
            "--out-dir",
            str(tmp_path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.stdout)
    assert set(payload) == {"run_dir", "validation"} and payload["validation"]["n"] == 45
    assert (tmp_path / "validation" / "predictions.jsonl").is_file()
    assert (run_dir / "run.json").read_bytes() == before  # the run's own record is untouched


def test_an_sft_phase_that_would_not_train_its_answers_stops_before_training(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(rows=60, labels=3)
    spec = project / "tuneloop.yaml"
    spec.write_text(spec.read_text().replace("weight_decay: 0.01", "weight_decay: 0.01\n  max_length: 12"))
    result = runner.invoke(app, ["train", str(project)])
    assert result.exit_code == 2, result.output
    assert "phase 'task': 42 of 42 examples would not train their full answer" in result.stderr
    assert "data/train.csv:" in result.stderr and "removes the whole answer" in result.stderr
    assert not (project / "runs" / "run-001" / "phases" / "2-task" / "model").exists()
