"""The report's guideline hints: what `feedback.guideline_hints` found for the run's project,
read from `RUN/guideline_hints.json` (the report comes before the feedback stage, so the round and
`tuneloop report` write the file first and the report renders what the run left on disk). The
same partial template renders the list on the web app's admin dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuneloop.run_dir import GUIDELINE_HINTS_FILE, read_json


def guideline_hints_section(run_dir: Path) -> dict[str, Any] | None:
    """The hints the run holds, or None before any were written."""
    path = run_dir / GUIDELINE_HINTS_FILE
    found: dict[str, Any] | None = read_json(path) if path.is_file() else None
    return found


def hints_html(hints: dict[str, Any]) -> str:
    """The hints as an HTML fragment (autoescaped)."""
    from tuneloop.report.html import render  # html.py reads this module's section: import late

    return render("guideline_hints.html.j2", hints=hints)
