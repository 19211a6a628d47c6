"""`tuneloop check`: read every source the way a run would, and say what is wrong before training.

The foundation checks what ingest needs (readable rows, required fields, known labels) plus the
counts a person looks at first; the full data-quality suite builds on the same report shape.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tuneloop.data.findings import summarize
from tuneloop.data.prepare import read_and_split
from tuneloop.spec import ProjectSpec

FINDINGS_LISTED = 50  # the summary counts them all


def check_data(spec: ProjectSpec) -> dict[str, Any]:
    result, splits = read_and_split(spec)
    findings = result.findings
    kept = sum(len(rows) for rows in splits.values())
    labels = Counter(e.label for rows in splits.values() for e in rows if e.label is not None)
    unused = [name for name in spec.label_names if name not in labels]
    return {
        "ok": not any(f.severity == "error" for f in findings),
        "counts": {
            "read": result.read,
            "kept": kept,
            "quarantined": len(result.quarantined),
            "splits": {name: len(rows) for name, rows in splits.items()},
        },
        "labels": dict(labels.most_common()),
        "labels_without_examples": unused,
        "findings_summary": summarize(findings),
        "findings": [f.to_dict() for f in findings[:FINDINGS_LISTED]],
    }
