"""The monitor's report: `monitor.html` from what `tuneloop monitor` found (its `monitor.json`),
one static page with embedded plots like the round's report, rendered with the same helper and
style (`html.render`), autoescaped."""

from __future__ import annotations

from typing import Any

from tuneloop.report import drift_plots
from tuneloop.report.html import render


def monitor_page(result: dict[str, Any]) -> str:
    """The HTML page of one monitor check."""
    overall = result["inputs"]["overall"]
    groups = [
        (f"{name}={value}", scope)
        for name, values in result["inputs"]["slices"].items()
        for value, scope in values.items()
    ]
    tested = [(name, s) for name, s in [("overall", overall), *groups] if s["status"] == "tested"]
    labels, confidence = result["labels"], result["confidence"]
    return render(
        "monitor.html.j2",
        m=result,
        scopes=[("overall", overall), *groups],
        auc_plot=drift_plots.domain_aucs(tested) if tested else None,
        label_plot=(
            drift_plots.label_shares(labels["moved"], labels["against"])
            if labels["status"] in ("tested", "reported") and labels["moved"]
            else None
        ),
        confidence_plot=drift_plots.confidence_histogram(confidence) if confidence["answers"] else None,
    )
