"""A multilabel split in the report and the model card: labels worst first with missed and extra,
the threshold and the precision-recall curve, the baselines beside the model, invalid outputs
listed, and the gates judged on set metrics (metrics written here from hand-made predictions)."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson

from tuneloop.evaluate.baselines import Baselines
from tuneloop.evaluate.gates import evaluation_verdicts
from tuneloop.evaluate.multilabel_metrics import label_set_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.runner import evaluation_intervals
from tuneloop.evaluate.scoring_report import set_scoring_report
from tuneloop.evaluate.thresholds import threshold_report
from tuneloop.label_text import canonical_answer
from tuneloop.report.html import build_report
from tuneloop.report.model_card import model_card
from tuneloop.run_dir import new_run_dir, update_record
from tuneloop.spec import EvaluationGate, load_spec
from tuneloop.task_card import TaskCard

NLUPP = Path(__file__).resolve().parents[3] / "examples" / "nlupp-banking"
LABELS = ["why", "change", "card"]


def _prediction(i: int, gold: tuple[str, ...], predicted: tuple[str, ...] | None, output: str) -> Prediction:
    scores = {label: (0.9 if label in (predicted or ()) else 0.2) for label in LABELS}
    return Prediction(
        f"r{i}",
        f"message {i}",
        canonical_answer(gold),
        output,
        None if predicted is None else canonical_answer(predicted),
        parsed={
            rule: None if predicted is None else canonical_answer(predicted) for rule in ("strict", "lenient")
        },
        gold_labels=gold,
        predicted_labels=predicted or (),
        answer_labels=predicted,
        label_scores=scores,
    )


def _run(tmp_path: Path) -> Path:
    project = Path(shutil.copytree(NLUPP, tmp_path / "nlupp", ignore=shutil.ignore_patterns("runs", "data")))
    (project / "data").mkdir()
    for name in ("train.json", "test.json"):
        (project / "data" / name).write_text("[]")
    spec = load_spec(project).model_copy()
    spec = spec.model_copy(update={"labels": [label for label in spec.labels if label.name in LABELS]})
    assert spec.path is not None
    run_dir = new_run_dir(spec.output_path, spec.path)
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"), status="evaluated")
    kinds = [
        (("why", "card"), ("why", "card"), "why, card"),
        (("change",), ("change", "card"), "change, card"),
        (("why",), None, "why, refund"),
        (("card",), ("card",), "card"),
    ]
    rows = [_prediction(i, *kinds[i % 4]) for i in range(40)]
    card = TaskCard("multilabel", LABELS, None)
    metrics = {
        **label_set_metrics(rows, LABELS),
        **threshold_report(rows, LABELS, (0, 3), 0.5, "validation"),
        **set_scoring_report(rows, card, "loglik", "lenient"),
        **evaluation_intervals(rows, LABELS, spec.evaluation, 0),
    }
    baselines = Baselines("card", None, ("card",), tuple(LABELS))
    metrics["baselines"] = baselines.report(rows, LABELS, spec.evaluation, 0, "multilabel")
    (run_dir / "eval" / "test").mkdir(parents=True)
    (run_dir / "eval" / "test" / "metrics.json").write_bytes(orjson.dumps(metrics))
    return run_dir


def test_the_report_shows_labels_worst_first_the_curve_and_the_invalid_outputs(tmp_path: Path) -> None:
    run_dir = _run(tmp_path)
    html = build_report(run_dir).read_text()
    section = html[html.index("<h2>Labels (test)</h2>") :]
    table = section[: section.index("Invalid outputs")]
    assert table.index("<td>why</td>") < table.index("<td>card</td>")  # why misses a third: worst F1
    curves = orjson.loads((run_dir / "eval" / "test" / "metrics.json").read_bytes())["pr_curve"]["labels"]
    why_ap = curves["why"]["average_precision"]
    assert 0 < why_ap < 1  # the rows whose answer was invalid hold why, scored like rows without it
    why_row = table[table.index("<td>why</td>") :].split("</tr>")[0]
    assert f'<td class="num">{why_ap:.3f}</td>' in why_row
    assert "missed: “message 2”" in table and "extra: “message 1”" in table
    assert "micro-averaged precision-recall curve" in section
    assert "10 generated answers were no valid label set" in section
    assert "unknown label …: 10" in section and "<code>why, refund</code>" in section
    baselines = html[html.index("Baselines (test)") :]
    assert "majority baseline" in baselines and "micro_f1 [95% CI]" in baselines


def test_the_model_card_lists_the_worst_labels_and_the_threshold(tmp_path: Path) -> None:
    card = model_card(_run(tmp_path))
    labels = card[card.index("## Labels (test)") :]
    assert "presence threshold 0.500 (tuned on validation)" in labels
    assert labels.index("| why |") < labels.index("| card |")
    assert "- `why, refund`: unknown label 'refund'" in labels


def test_gates_read_set_metrics() -> None:
    rows = [_prediction(i, ("why",), ("why",) if i % 4 else ("card",), "") for i in range(40)]
    metrics = {"test": {**label_set_metrics(rows, LABELS), "ci": {"micro_f1": [0.6, 0.9]}}}
    floor = EvaluationGate(metric="micro_f1", min=0.7)
    (verdict,) = evaluation_verdicts(
        metrics, None, load_spec(NLUPP).evaluation.model_copy(update={"gates": [floor]})
    )
    assert verdict.passed and verdict.detail == "micro_f1 0.750 (n=40, 95% CI 0.600-0.900)"
