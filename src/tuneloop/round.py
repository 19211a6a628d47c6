"""One round of the loop, stage by stage, as `tuneloop run` does it:

    start_run          runs/run-NNN/ with the spec and guidelines it runs under (run_dir.py)
    data.run           prepare: the DatasetVersion (the store's gold labels applied), the data gate
    train.run          the base model, then every phase in order, each with its gate
    evaluate.run       validation and test, comparisons, fairness, every gate's verdict
    report.build       report.html and MODEL_CARD.md

Each stage reads and writes the run directory through `run_dir.py`, so `tuneloop train`,
`tuneloop evaluate --run` and `tuneloop report` can also run one stage at a time. A phase that
fails its gate stops the round, and so does a failing evaluation gate after the evaluation; either
way the report and the model card are still written, so a person can see why, and the error
names it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from tuneloop.annotate.training_labels import training_gold
from tuneloop.data.run import prepare
from tuneloop.distributed import agree, is_main
from tuneloop.evaluate.run import evaluate_run
from tuneloop.evaluate.runner import phase_scorer
from tuneloop.feedback.guideline_hints import write_guideline_hints
from tuneloop.report.build import build
from tuneloop.run_dir import REPORT_FILE, new_run_dir, read_record, update_record
from tuneloop.spec import SPEC_FILE, ProjectSpec
from tuneloop.spec.recorded import run_spec
from tuneloop.train.phases import GateFailed
from tuneloop.train.run import resume_phases, run_phases, start_resume


def run_round(spec: ProjectSpec, console: Console) -> tuple[Path, Path]:
    """Every stage in order; the run directory and its report."""
    run_dir = train_round(spec, console, report_on_gate=True)
    if not is_main():  # under accelerate launch, one process evaluates and reports
        return run_dir, run_dir / REPORT_FILE
    evaluate_run(run_dir, console)
    failed = [v for v in read_record(run_dir).evaluation_gates or [] if not v.passed]
    if failed:
        update_record(run_dir, status=f"stopped: {len(failed)} evaluation gate verdict(s) failed")
    write_guideline_hints(run_dir)
    report = build(run_dir)
    if failed:
        listed = "; ".join(f"{v.gate} [{v.scope}] {v.detail}" for v in failed)
        raise GateFailed(
            f"evaluation gate failed: {listed}; report: {report}", run_dir=run_dir, report=report
        )
    return run_dir, report


def train_round(spec: ProjectSpec, console: Console, report_on_gate: bool = False) -> Path:
    """A new run, its data prepared and every phase trained (`tuneloop train`); with
    `report_on_gate`, a failed phase gate still gets the report written before the round stops."""
    run_dir = start_run(spec, console)
    try:
        with failure_recorded(run_dir):
            dataset = prepare(spec, run_dir, console, training_gold(spec) if is_main() else None)
            run_phases(spec, run_dir, dataset, console, phase_scorer(spec))
    except GateFailed as exc:
        if not report_on_gate or not is_main():
            raise
        report = build(run_dir)
        raise GateFailed(f"{exc}; report: {report}", run_dir=run_dir, report=report) from None
    return run_dir


def resume_round(run_dir: Path, console: Console) -> None:
    """Go on training an interrupted run (`tuneloop train --resume`)."""
    spec = run_spec(run_dir)
    start_resume(run_dir, console)
    with failure_recorded(run_dir):
        resume_phases(run_dir, console, phase_scorer(spec))


def start_run(spec: ProjectSpec, console: Console) -> Path:
    """A new run directory, with the spec and guidelines it runs under recorded (one directory for
    all the processes of a distributed launch: the main process makes it)."""
    spec_file = spec.path or spec.root / SPEC_FILE
    run_dir = agree(new_run_dir(spec.output_path, spec_file) if is_main() else None)
    assert run_dir is not None
    update_record(
        run_dir,
        project=str(spec.root),
        spec=spec.model_dump(mode="json"),
        guidelines=_guidelines_version(spec),
        status="preparing data",
    )
    console.print(f"[bold]run[/] {run_dir}")
    return run_dir


@contextmanager
def failure_recorded(run_dir: Path) -> Iterator[None]:
    """A stage that stops leaves the reason in run.json, not a status that looks in progress."""
    try:
        yield
    except KeyboardInterrupt:
        update_record(run_dir, status="interrupted")
        raise
    except GateFailed as exc:
        update_record(run_dir, status=f"stopped: {exc}")
        raise
    except Exception as exc:
        update_record(run_dir, status=f"failed: {str(exc).splitlines()[0]}")
        raise


def _guidelines_version(spec: ProjectSpec) -> dict[str, str] | None:
    """Which guidelines the labels were made under: the file and a hash of its text."""
    if spec.guidelines is None:
        return None
    digest = hashlib.sha256(spec.guidelines.read_bytes()).hexdigest()[:12]
    return {"path": str(spec.guidelines), "sha256": digest}
