from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tuneloop.errors import TuneloopError
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.report.html import build_report
from tuneloop.run_dir import new_run_dir, update_record
from tuneloop.spec import load_spec

PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_untrusted_text_is_escaped_and_missing_stages_are_left_out(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project())
    spec.labels[0].description = PAYLOAD
    run_dir = new_run_dir(spec.output_path, spec.path)
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"), status="preparing data")
    html = build_report(run_dir).read_text()
    assert PAYLOAD not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "Training" not in html and "Confusion matrix" not in html


def test_evaluation_alone_gives_the_result_section(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project())
    run_dir = new_run_dir(spec.output_path, spec.path)
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"), status="evaluated")
    predictions = [Prediction(str(i), "t", "a", "a", "a" if i % 2 else None) for i in range(4)]
    (run_dir / "eval" / "test").mkdir(parents=True)
    metrics = {**classification_metrics(predictions, ["a"]), "slices": {}, "mapping_rule": "exact"}
    (run_dir / "eval" / "test" / "metrics.json").write_bytes(orjson.dumps(metrics))
    html = build_report(run_dir).read_text()
    assert "Result on the test split" in html and ">50.0%<" in html
    assert html.count("data:image/png;base64,") == 2  # recall per class and confusion; no training yet


def test_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(TuneloopError, match="not a run directory"):
        build_report(tmp_path)
