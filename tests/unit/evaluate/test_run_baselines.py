"""The run's own evaluation puts the baselines and the collapse alarm beside each split: in
eval/SPLIT/metrics.json, in run.json's headline, and before the gates are judged (no model: the
model's predictions are written by hand, as `evaluate_examples` would have)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import orjson
from rich.console import Console

from tuneloop.data.prepare import prepare_dataset
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.run import add_baselines, headline, run_verdicts
from tuneloop.evaluate.runner import evaluation_intervals
from tuneloop.run_dir import data_dir, eval_dir, new_run_dir, read_json, update_record
from tuneloop.spec import load_spec

EVALUATION = {
    "metrics": ["accuracy", "macro_recall"],
    "bootstrap": 200,
    "gates": [{"beats": "majority"}, {"beats": "tfidf_logreg"}],
}


def test_a_constant_model_gets_baselines_an_alarm_and_fails_beats(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project(rows=150, labels=3, evaluation=EVALUATION))
    assert spec.path is not None
    run_dir = new_run_dir(spec.output_path, spec.path)
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"), status="evaluated")
    dataset = prepare_dataset(spec, data_dir(run_dir))
    test, labels = dataset.split("test"), spec.label_names
    constant = [Prediction(e.id, e.text, e.label, labels[0], labels[0], e.slices) for e in test]
    split_dir = eval_dir(run_dir, "test")
    split_dir.mkdir(parents=True)
    (split_dir / "predictions.jsonl").write_bytes(
        b"".join(orjson.dumps(p.to_dict()) + b"\n" for p in constant)
    )
    results = {
        "test": {
            **classification_metrics(constant, labels),
            **evaluation_intervals(constant, labels, spec.evaluation, 0),
        }
    }
    console = io.StringIO()

    add_baselines(run_dir, spec, dataset, results, Console(file=console, width=200))

    written = read_json(split_dir / "metrics.json")
    assert written == orjson.loads(orjson.dumps(results["test"]))
    baselines, collapse = written["baselines"], written["collapse"]
    assert list(baselines) == ["majority", "tfidf_logreg"]
    train_labels = [e.label for e in dataset.split("train")]
    assert baselines["majority"]["label"] == max(labels, key=train_labels.count)
    assert (
        baselines["tfidf_logreg"]["accuracy"] > 0.6 > baselines["majority"]["accuracy"]
    )  # 3 labels, real text
    assert collapse["alarm"] and collapse["distinct_predictions"] == 1 and collapse["labels_expected"] == 3
    assert "collapse alarm (test): one label for every row" in console.getvalue()
    assert "fitted on" in console.getvalue()

    shown = headline(results["test"], spec.evaluation.metrics)
    assert list(shown) == ["n", "accuracy", "macro_recall", "invalid_rate", "baselines", "collapse"]
    assert shown["baselines"]["tfidf_logreg"] == {
        k: baselines["tfidf_logreg"][k] for k in ("accuracy", "macro_f1", "macro_recall")
    }
    assert shown["collapse"] == {"alarm": True, "reasons": collapse["reasons"]}

    verdicts = run_verdicts(run_dir)
    assert [(v.gate, v.passed) for v in verdicts] == [
        ("accuracy beats majority (p < 0.05)", False),
        ("accuracy beats tfidf_logreg (p < 0.05)", False),
    ]
