"""One whole round, as `tuneloop run` does it: train, evaluate, report.

A phase that fails its gate stops the round; the report is still written, so a person can see
why, and the error names it.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from tuneloop.distributed import is_main
from tuneloop.pipeline import evaluate_run, start_run, train_run
from tuneloop.report.html import REPORT_FILE, build_report
from tuneloop.spec import ProjectSpec
from tuneloop.train.phases import GateFailed


def run_round(spec: ProjectSpec, console: Console) -> tuple[Path, Path]:
    """The run directory and its report."""
    run_dir = start_run(spec, console)
    try:
        train_run(spec, run_dir, console)
    except GateFailed as exc:
        if not is_main():
            raise
        report = build_report(run_dir)
        raise GateFailed(f"{exc}; report: {report}", run_dir=run_dir, report=report) from None
    if not is_main():  # under accelerate launch, one process evaluates and reports
        return run_dir, run_dir / REPORT_FILE
    evaluate_run(run_dir, console)
    return run_dir, build_report(run_dir)
