"""The NLU++ banking example end to end: `init` copies it, `check` shows its label balance, `run`
trains, evaluates (label sets, threshold, baselines) and reports a small cut of it, and simulated
annotators label sets whose agreement and export work."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from jinja2 import Environment
from ruamel.yaml import YAML
from typer.testing import CliRunner

from tests.conftest import TINY_SIZES
from tests.unit.cli.example_runs import has_notice
from tuneloop.cli import app
from tuneloop.cli.annotate import _gold_answer
from tuneloop.data.version import DatasetVersion
from tuneloop.evaluate.multilabel_metrics import SET_METRICS
from tuneloop.report.annotation import annotation_section
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
    assert has_notice(project, "CC BY 4.0")
    spec = load_spec(project)
    assert spec.objective.task == "multilabel" and len(spec.labels) == 48
    guidelines = (project / "guidelines.md").read_text()
    assert all(f"- **{name}**:" in guidelines for name in spec.label_names)  # a rule for every module
    real = load_spec(project / "smollm2-lora.yaml")  # the real-model recipe: same labels, monitored
    assert real.label_names == spec.label_names and real.model.base == "models/smollm2-135m-instruct"
    assert real.phases[0].selection_metric(real.objective.task) == "micro_f1"


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


def test_annotation_of_label_sets_simulated_agreed_on_and_exported(project: Path, tmp_path: Path) -> None:
    simulated = runner.invoke(
        app, ["annotate", "simulate", str(project), "--items", "40", "--annotators", "3", "--json"]
    )
    assert simulated.exit_code == 0, simulated.output
    assert orjson.loads(simulated.stdout)["closed"] >= 40
    result = runner.invoke(app, ["annotate", "agreement", str(project), "--json"])
    report = orjson.loads(result.stdout)
    assert report["level"] == "masi" and 0.3 < report["alpha"]["estimate"] < 1
    assert report["alpha"]["low"] <= report["alpha"]["estimate"] <= report["alpha"]["high"]
    names = set(load_spec(project).label_names)
    assert report["per_label"] and {i["name"] for i in report["per_label"]} <= names
    assert all(", " in p["labels"][0] or p["labels"][0] in names | {"none"} for p in report["confused"])
    section = annotation_section(load_spec(project))
    assert section is not None
    shown = [i["estimate"] for i in section["label_table"] if i["estimate"] is not None]
    assert shown == sorted(shown)  # lowest first
    html = _annotation_html(section)
    assert "alpha over whole label sets (MASI distance)" in html and 'id="label-alpha"' in html
    ls_file = tmp_path / "ls.json"
    to_ls = runner.invoke(
        app, ["annotate", "export", str(project), "--format", "label-studio", "--out", str(ls_file)]
    )
    assert to_ls.exit_code == 0, to_ls.output
    assert 'choice="multiple"' in (tmp_path / "ls.label-config.xml").read_text()
    out = tmp_path / "annotated"
    exported = runner.invoke(
        app, ["annotate", "export", str(project), "--out", str(out), "--override", "demo"]
    )
    assert exported.exit_code == 0, exported.output
    provenance = [orjson.loads(line) for line in (out / "label_provenance.jsonl").read_bytes().splitlines()]
    decided = [p for p in provenance if p["label"] is not None]
    assert decided and all(isinstance(p["label"], list) and set(p["label"]) <= names for p in decided)
    train = DatasetVersion.load(out).split("train")
    for record in decided:
        row = train[record["row"]] if record["part"] == "train" else None
        if row is not None:
            assert row.labels == tuple(record["label"]) and row.label == (
                ", ".join(record["label"]) or "none"
            )


def test_a_gold_set_is_given_on_the_command_line_separated_by_commas() -> None:
    multi = SimpleNamespace(label_schema=SimpleNamespace(kind="multi_label"))
    assert _gold_answer(multi, "why, card ,") == ["why", "card"]
    assert _gold_answer(multi, "none") == []
    assert _gold_answer(SimpleNamespace(label_schema=SimpleNamespace(kind="single_label")), "a, b") == "a, b"


def _annotation_html(section: dict[str, Any]) -> str:
    """The report template's annotation section, rendered alone."""
    text = files("tuneloop.report").joinpath("templates/report.html.j2").read_text()
    start = text.index('{% if annotation or phases %}<section id="annotation">')
    end = text.index("</section>{% endif %}", start) + len("</section>{% endif %}")
    return Environment(autoescape=True).from_string(text[start:end]).render(annotation=section)


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
    watched = {"eval_every": 3, "eval_rows": 8, "gate": ["val.micro_f1 >= 0"]}
    spec["phases"][-1].update(watched)  # the task phase, watched by its set metrics
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
    assert "Guideline hints" in report and "no evidence of any kind yet" in report  # the round kept them
    card = (small_run / "MODEL_CARD.md").read_text()
    assert "## Labels (test)" in card and "label (worst F1 first)" in card


def test_a_label_set_phase_is_watched_by_its_set_metrics_and_gated_on_them(small_run: Path) -> None:
    record = orjson.loads((small_run / "run.json").read_bytes())
    task = record["phases"][-1]
    metrics = small_run / "phases" / f"{len(record['phases'])}-{task['name']}" / "metrics.jsonl"
    (evaluation,) = [r for r in map(orjson.loads, metrics.read_bytes().splitlines()) if r["kind"] == "eval"]
    assert evaluation["step"] == 3 and evaluation["loss"] > 0
    for key in ("micro_f1", "macro_f1", "exact_set", "hamming_loss", "invalid_rate"):
        assert 0 <= evaluation[key] <= 1, key
    assert "accuracy" not in evaluation
    assert task["gates"] == [
        {"gate": "val.micro_f1 >= 0", "actual": evaluation["micro_f1"], "threshold": 0.0, "passed": True}
    ]


def test_evaluate_scores_a_multilabel_model_on_a_file(small_run: Path, tmp_path: Path) -> None:
    data = small_run.parent.parent / "data" / "test.json"
    result = runner.invoke(app, ["evaluate", str(small_run), "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.stdout)
    assert payload["n"] == 40 and payload["threshold"]["value"] == 0.5  # no validation split to tune on
    assert 0 <= payload["micro_f1"] <= 1
