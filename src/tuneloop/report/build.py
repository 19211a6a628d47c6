"""The report stage of a round: `report.html` and `MODEL_CARD.md`, both from what the run left on
disk, so either can be rebuilt at any time (`tuneloop report`) and they never disagree."""

from __future__ import annotations

from pathlib import Path

from tuneloop.report.html import build_report
from tuneloop.report.model_card import write_model_card


def build(run_dir: Path) -> Path:
    """Write the run's report and model card; the report's path."""
    report = build_report(run_dir)
    write_model_card(run_dir)
    return report
