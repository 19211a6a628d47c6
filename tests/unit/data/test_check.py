from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tuneloop.data.check import check_data
from tuneloop.data.findings import Finding, summarize
from tuneloop.spec import load_spec


def test_check_counts_add_up_and_name_labels_without_examples(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=60, labels=3)
    spec = load_spec(project)
    extra = spec.labels[0].model_copy(update={"name": "never_seen"})
    spec = spec.model_copy(update={"labels": [*spec.labels, extra]})
    with (project / "data" / "train.csv").open("a") as fh:
        fh.write("text without a label,\n")
    report = check_data(spec)
    assert report["ok"] is False
    assert report["counts"]["read"] == 61 == report["counts"]["kept"] + report["counts"]["quarantined"]
    assert report["labels_without_examples"] == ["never_seen"]
    assert sum(report["labels"].values()) == 60
    assert report["findings_summary"] == {
        "total": 2,
        "by_severity": {"error": 1, "warning": 1},
        "by_code": {"empty_text": 1, "label_without_rows": 1},
    }


def test_summary_counts_by_severity_and_code() -> None:
    findings = [
        Finding("invalid_json", "error", "a.jsonl", 1, "x"),
        Finding("invalid_json", "error", "a.jsonl", 2, "x"),
        Finding("too_long", "warning", "a.jsonl", 3, "x"),
    ]
    assert summarize(findings) == {
        "total": 3,
        "by_severity": {"error": 2, "warning": 1},
        "by_code": {"invalid_json": 2, "too_long": 1},
    }
