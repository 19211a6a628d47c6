"""One whole round, as `tuneloop run` does it: train, evaluate, report, model card.

A phase that fails its gate stops the round, and so does a failing evaluation gate (spec
`evaluation.gates`) after the evaluation; either way the report and the model card are still
written, so a person can see why, and the error names it.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from tuneloop.distributed import is_main
from tuneloop.evaluate.model_card import write_model_card
from tuneloop.pipeline import evaluate_run, read_run, start_run, train_run, update_run
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
        write_model_card(run_dir)
        raise GateFailed(f"{exc}; report: {report}", run_dir=run_dir, report=report) from None
    if not is_main():  # under accelerate launch, one process evaluates and reports
        return run_dir, run_dir / REPORT_FILE
    evaluate_run(run_dir, console)
    failed = [v for v in read_run(run_dir).get("evaluation_gates", []) if not v["passed"]]
    if failed:
        update_run(run_dir, status=f"stopped: {len(failed)} evaluation gate verdict(s) failed")
    report = build_report(run_dir)
    write_model_card(run_dir)
    if failed:
        listed = "; ".join(f"{v['gate']} [{v['scope']}] {v['detail']}" for v in failed)
        raise GateFailed(
            f"evaluation gate failed: {listed}; report: {report}", run_dir=run_dir, report=report
        )
    return run_dir, report
