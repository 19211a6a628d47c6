"""The one exception for a bad row: raised by the file readers and the row-shape mappers, caught by
ingest, which turns it into a quarantined row with a finding (code, sentence, fix). A row-level
problem never stops the run."""

from __future__ import annotations


class RowProblem(Exception):
    """What is wrong with one row; becomes a quarantined row."""

    def __init__(self, code: str, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.fix = code, message, fix
