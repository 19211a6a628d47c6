"""Findings: every problem with a row, said once, where a person can find it.

A bad row never crashes a run and is never dropped silently: it becomes a `Finding` and its raw
content goes to a quarantine file, so `read = clean + quarantined` can always be checked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    file: str
    line: int | None
    message: str
    fix: str | None = None
    row_id: str | None = None  # the example's content id; None for a row that never became one

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QuarantinedRow:
    """A row that could not be used, with the raw text as read and the reason."""

    finding: Finding
    raw: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.finding.to_dict(), "raw": self.raw}


def write_quarantine(rows: list[QuarantinedRow], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for row in rows:
            fh.write(orjson.dumps(row.to_dict()) + b"\n")


def summarize(findings: list[Finding]) -> dict[str, Any]:
    """Counts by severity and by code, for the manifest, the report and `check --json`."""
    return {
        "total": len(findings),
        "by_severity": dict(Counter(f.severity for f in findings)),
        "by_code": dict(Counter(f.code for f in findings).most_common()),
    }
