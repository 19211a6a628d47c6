"""The train stage of a round: the base model, then every phase in order, recorded in the run.

    run_phases(spec, run_dir, dataset, console, score)      what `tuneloop run` and `train` call
    start_resume(run_dir, console); resume_phases(...)     `tuneloop train --resume`

Each phase starts from the weights the previous one saved (`phases.train_phase`); the record gets
the phases after each one, so a failed gate or a kill leaves what was trained on file. `score` is
how a monitored phase scores its validation subset, handed down by the round from the evaluate
stage.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.data.preference import Preference, source_preferences
from tuneloop.data.version import QUARANTINE, DatasetVersion
from tuneloop.distributed import is_main, main_first
from tuneloop.errors import TuneloopError
from tuneloop.run_dir import data_dir, phase_dir, read_record, update_record
from tuneloop.spec import ProjectSpec
from tuneloop.spec.recorded import run_spec
from tuneloop.train.base_model import ensure_base_model
from tuneloop.train.monitor import TaskScorer
from tuneloop.train.phases import GateFailed, PhaseResult, explain_failed, train_phase
from tuneloop.train.tracking import Tracker

PHASE_PARTS = ("train", "validation", "unlabeled", "general")


def run_phases(
    spec: ProjectSpec, run_dir: Path, dataset: DatasetVersion, console: Console, score: TaskScorer
) -> list[PhaseResult]:
    """Make sure the base model exists, then train every phase of the spec into `run_dir`."""
    began = time.perf_counter()
    parts = phase_parts(dataset)
    with main_first():  # built once; the other processes find it built
        base, _ = ensure_base_model(spec, parts)
    update_record(
        run_dir, dataset={"path": str(dataset.path), "hash": dataset.hash}, base_model=base, status="training"
    )
    preferences = source_preferences_of(spec, dataset)
    return _tracked(spec, run_dir, parts, base, console, score, began, done=None, preferences=preferences)


def start_resume(run_dir: Path, console: Console) -> None:
    """Refuse a run that cannot be resumed (before its record is touched), else mark it training."""
    record = read_record(run_dir)
    run_spec(run_dir)  # a path that is not a run directory says so
    if record.trained:
        raise TuneloopError(f"{run_dir}: nothing to resume, the run finished training")
    if record.base_model is None:
        raise TuneloopError(f"{run_dir}: the run stopped before training began; start a new run")
    console.print(f"[bold]resume[/] {run_dir} (status was: {record.status})")
    update_record(run_dir, status="training")


def resume_phases(run_dir: Path, console: Console, score: TaskScorer) -> list[PhaseResult]:
    """Go on with an interrupted run (`start_resume` first): finished phases are kept, the
    interrupted one continues from its latest checkpoint, and the spec and data are the ones the
    run started with."""
    record, spec = read_record(run_dir), run_spec(run_dir)
    assert record.base_model is not None
    done = [PhaseResult.from_dict(p) for p in record.phases or []]
    dataset = DatasetVersion.load(data_dir(run_dir))
    parts, preferences = phase_parts(dataset), source_preferences_of(spec, dataset)
    began = time.perf_counter()
    return _tracked(spec, run_dir, parts, record.base_model, console, score, began, done, preferences)


def phase_parts(dataset: DatasetVersion) -> dict[str, list[Example]]:
    """The splits the phases read: training rows, the validation subset they watch, unlabeled
    domain text and the held-out general set."""
    return {name: dataset.split(name) for name in PHASE_PARTS}


def source_preferences_of(spec: ProjectSpec, dataset: DatasetVersion) -> list[Preference]:
    """The data's preference rows, when a kto or dpo phase trains them (`preference.sources: [data]`)."""
    if not spec.trains_source_preferences:
        return []
    return source_preferences(dataset.path / QUARANTINE, spec.system_prompt)


def _tracked(
    spec: ProjectSpec,
    run_dir: Path,
    parts: dict[str, list[Example]],
    base: str,
    console: Console,
    score: TaskScorer,
    began: float,
    done: list[PhaseResult] | None,
    preferences: list[Preference],
) -> list[PhaseResult]:
    """The phases under MLflow / TensorBoard when the spec asks; the run's final model recorded."""
    tracker = _tracker(spec, run_dir)
    try:
        phases = train_phases(spec, parts, base, run_dir, console, score, done, tracker, preferences)
    except BaseException as exc:
        if tracker:
            tracker.close("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    if tracker:
        tracker.close("FINISHED")
    update_record(
        run_dir,
        final_model=phases[-1].model_dir,
        train_seconds=round((read_record(run_dir).train_seconds or 0) + time.perf_counter() - began, 1),
        status="trained",
    )
    return phases


def train_phases(
    spec: ProjectSpec,
    parts: dict[str, list[Example]],
    start_from: str,
    run_dir: Path,
    console: Console | None = None,
    score: TaskScorer | None = None,
    done: list[PhaseResult] | None = None,
    tracker: Tracker | None = None,
    preferences: list[Preference] | None = None,
) -> list[PhaseResult]:
    """Train every phase in order, recording the results after each one; a failed gate stops.
    `preferences`: the data's preference rows, for the kto and dpo phases that read them.

    With `done` (the phases a resumed run already finished), training continues after them, and the
    first unfinished phase resumes from its latest checkpoint.
    """
    results: list[PhaseResult] = list(done or [])
    if results:
        start_from = results[-1].model_dir
    for index, phase in enumerate(spec.phases, start=1):
        if index <= len(results):
            continue
        previous = results[-1].general if results else None
        tracking = [tracker.start_phase(phase)] if tracker else []
        out_dir = phase_dir(run_dir, index, phase.name)
        resume = done is not None
        result = train_phase(
            spec, phase, parts, start_from, out_dir, console, resume, previous, tracking, score, preferences
        )
        if tracker:
            tracker.end_phase(result.to_dict())
        results.append(result)
        update_record(run_dir, phases=[p.to_dict() for p in results])
        if not result.gates_passed:
            failed = explain_failed(result)
            raise GateFailed(f"phase {phase.name!r} failed its gate: {failed}; later phases were not run")
        start_from = result.model_dir
    return results


def _tracker(spec: ProjectSpec, run_dir: Path) -> Tracker | None:
    """MLflow / TensorBoard for this run when the spec asks (main process only); a resumed run goes
    on in the MLflow run it started."""
    if not is_main() or (spec.tracking.mlflow is None and not spec.tracking.tensorboard):
        return None
    tracker = Tracker(spec, run_dir, read_record(run_dir).mlflow_run_id)
    if tracker.mlflow_run_id:
        update_record(run_dir, mlflow_run_id=tracker.mlflow_run_id)
    return tracker
