"""The shape every check returns, and the rows it reads.

Like cleanlab's issue tables: a check flags rows (`is_<issue>`), scores them where a number means
something (`<issue>_score`: how long, how far, how many copies) and sums itself up. Flags and
scores are kept sparse, by row number, so a check of a large file holds only its findings;
`issue_table` turns them into one dense table with a column per issue when someone wants it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from tuneloop.data.example import Example
from tuneloop.data.findings import Finding, Severity


@dataclass(frozen=True)
class CheckedRow:
    """One example as a check sees it: its number in the stream, where it was read, its split."""

    number: int
    example: Example
    file: str
    line: int | None
    split: str = "train"

    @property
    def input_text(self) -> str:
        """Everything the model reads before its answer, minus the system prompt (shared by all rows)."""
        turns = self.example.prompt_messages
        return "\n".join(m["content"] for m in turns if m["role"] != "system")

    @property
    def answer(self) -> str:
        return self.example.answer

    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class CheckResult:
    name: str
    findings: list[Finding] = field(default_factory=list)
    flagged: dict[str, list[int]] = field(default_factory=dict)  # issue code -> row numbers
    scores: dict[str, dict[int, float]] = field(default_factory=dict)  # issue -> row number -> score
    summary: dict[str, Any] = field(default_factory=dict)

    def flag(
        self,
        row: CheckedRow,
        code: str,
        severity: Severity,
        message: str,
        fix: str | None = None,
        score: float | None = None,
    ) -> None:
        self.findings.append(Finding(code, severity, row.file, row.line, message, fix, row.example.id))
        self.flagged.setdefault(code, []).append(row.number)
        if score is not None:
            self.scores.setdefault(code, {})[row.number] = score
        self.summary[code] = self.summary.get(code, 0) + 1

    def merge(self, other: CheckResult) -> None:
        """Add a later shard's result: findings and flags append, counts add."""
        self.findings.extend(other.findings)
        for code, rows in other.flagged.items():
            self.flagged.setdefault(code, []).extend(rows)
        for code, scores in other.scores.items():
            self.scores.setdefault(code, {}).update(scores)
        for key, value in other.summary.items():
            if isinstance(value, int | float) and isinstance(self.summary.get(key, 0), int | float):
                self.summary[key] = self.summary.get(key, 0) + value
            else:
                self.summary[key] = value


def merged(name: str, parts: Iterable[CheckResult]) -> CheckResult:
    out = CheckResult(name)
    for part in parts:
        out.merge(part)
    return out


def issue_table(results: Iterable[CheckResult], rows: int) -> pa.Table:
    """One row per row read: `row` plus `is_<issue>` and, where scored, `<issue>_score` (null when
    the row was not scored) for every issue any check raised."""
    columns: dict[str, Any] = {"row": list(range(rows))}
    for result in results:
        for code, numbers in sorted(result.flagged.items()):
            flags = [False] * rows
            for n in numbers:
                flags[n] = True
            columns[f"is_{code}"] = flags
        for code, scores in sorted(result.scores.items()):
            columns[f"{code}_score"] = [scores.get(n) for n in range(rows)]
    return pa.table(columns)
