"""Findings summed up by severity and code."""

from __future__ import annotations

from tuneloop.data.findings import Finding, summarize


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
