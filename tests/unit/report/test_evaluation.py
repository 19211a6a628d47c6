"""The report's evaluation section: the collapse alarm on top, then the model beside its baselines
and the base model (metrics written here by hand; no model, no training)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson

from tests.unit.evaluate.factories import prediction
from tuneloop.evaluate.baselines import Baselines
from tuneloop.evaluate.collapse import collapse_alarm
from tuneloop.evaluate.compare import compare_predictions
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.runner import evaluation_intervals
from tuneloop.report.html import build_report
from tuneloop.run_dir import new_run_dir, update_record
from tuneloop.spec import load_spec

EVALUATION = {"metrics": ["accuracy", "macro_f1"], "bootstrap": 200}


def _report(make_project: Callable[..., Path], constant: bool) -> str:
    spec = load_spec(make_project(evaluation=EVALUATION))
    labels = spec.label_names
    assert spec.path is not None
    run_dir = new_run_dir(spec.output_path, spec.path)
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"), status="evaluated")
    gold = [labels[i % 3] for i in range(60)]
    model = [prediction(f"r{i}", g, labels[0] if constant else g) for i, g in enumerate(gold)]
    baselines = Baselines(labels[1], None).report(model, labels, spec.evaluation, 0)
    metrics = {
        **classification_metrics(model, labels),
        **evaluation_intervals(model, labels, spec.evaluation, 0),
        "mapping_rule": "exact",
        "baselines": baselines,
        "collapse": collapse_alarm(model, baselines["majority"]),
    }
    base = [prediction(p.id, p.gold or "", None) for p in model]
    comparisons = {
        "split": "test",
        "n": 60,
        "bootstrap": 200,
        "adjustment": "Holm",
        "targets": [
            {
                "name": "base",
                "kind": "base",
                "model": "/models/base",
                "against": ["base"],
                "metrics": {**classification_metrics(base, labels), "ci": {"accuracy": [0.0, 0.0]}},
                "tests": compare_predictions(model, base, labels, spec.evaluation),
            }
        ],
    }
    (run_dir / "eval" / "test").mkdir(parents=True)
    (run_dir / "eval" / "test" / "metrics.json").write_bytes(orjson.dumps(metrics))
    (run_dir / "eval" / "test" / "comparisons.json").write_bytes(orjson.dumps(comparisons))
    return build_report(run_dir).read_text()


def test_a_collapsed_model_is_flagged_above_its_baselines(make_project: Callable[..., Path]) -> None:
    html = _report(make_project, constant=True)
    alarm = html.index("Collapse alarm (test)")
    assert alarm < html.index("Baselines (test)") < html.index("Comparisons (test")
    assert "one label for every row: &#39;card_arrival&#39; for 60 of 60 rows" in html
    assert "1 distinct label predicted for the 3 the rows hold" in html
    table = html[html.index("Baselines (test)") : html.index("Comparisons (test")]
    for row in ("this model", "majority baseline", "TF-IDF logistic regression", "base model"):
        assert f"<td>{row}</td>" in table
    assert "0.333 [" in table and "/models/base" in table and "p = " in table


def test_a_working_model_gets_the_table_without_an_alarm(make_project: Callable[..., Path]) -> None:
    html = _report(make_project, constant=False)
    assert "Collapse alarm" not in html and "Baselines (test)" in html
    table = html[html.index("Baselines (test)") : html.index("Comparisons (test")]
    assert '<span class="ok">+0.667 [' in table  # this model 1.000 against the majority's 0.333
