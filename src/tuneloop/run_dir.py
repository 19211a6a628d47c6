"""The run directory: the record every stage shares, and the name of every file a run writes.

It sits below every stage, so each stage reads and writes the run through it and none reaches up
to the orchestrator. One round leaves:

    <output_dir>/base-model/FINGERPRINT/           a built tiny model, shared by the runs that use it
    <output_dir>/run-NNN/run.json                  the record: spec, status, data, phases, evaluation
    <output_dir>/run-NNN/tuneloop.yaml             the spec file as it was for this run
    <output_dir>/run-NNN/data/                     the DatasetVersion (Parquet splits, manifest, quarantine)
    <output_dir>/run-NNN/phases/K-NAME/            model/, metrics.jsonl (the phase log), checkpoints/
    <output_dir>/run-NNN/tensorboard/PHASE/        TensorBoard event files
    <output_dir>/run-NNN/eval/SPLIT/               predictions.jsonl and metrics.json of the final model
    <output_dir>/run-NNN/eval/SPLIT/compare/NAME/  the same for a compared model (gated split only)
    <output_dir>/run-NNN/eval/SPLIT/comparisons.json, fairness.json
    <output_dir>/run-NNN/review/                   sample.jsonl, results.json, candidates.jsonl
    <output_dir>/run-NNN/report.html, MODEL_CARD.md
    <output_dir>/monitor/YYYYMMDDTHHMMSSZ/          monitor.json and monitor.html of `tuneloop monitor`

`run.json` is written whole to a temporary file and renamed, so a reader (or a kill) never sees
half a record; under `accelerate launch` only the main process writes it.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from tuneloop.errors import TuneloopError
from tuneloop.verdict import Verdict

RUN_FILE = "run.json"
SPEC_COPY = "tuneloop.yaml"
DATA_DIR = "data"
PHASES_DIR = "phases"
PHASE_MODEL_DIR = "model"
PHASE_LOG_FILE = "metrics.jsonl"  # one line per logged training step and per evaluation
CHECKPOINTS_DIR = "checkpoints"
TENSORBOARD_DIR = "tensorboard"
EVAL_DIR = "eval"
EVAL_SPLITS = ("validation", "test")
PREDICTIONS_FILE = "predictions.jsonl"
EVAL_METRICS_FILE = "metrics.json"  # an evaluation's metrics, intervals and slices
COMPARE_DIR = "compare"
COMPARISONS_FILE = "comparisons.json"
FAIRNESS_FILE = "fairness.json"
REVIEW_DIR = "review"
REVIEW_SAMPLE_FILE = "sample.jsonl"
REVIEW_RESULTS_FILE = "results.json"
REVIEW_CANDIDATES_FILE = "candidates.jsonl"
REPORT_FILE = "report.html"
GUIDELINE_HINTS_FILE = "guideline_hints.json"  # what feedback.guideline_hints found, for the report
MODEL_CARD_FILE = "MODEL_CARD.md"
MONITOR_DIR = "monitor"  # under the project's output_dir: the served traffic is the project's
MONITOR_FILE = "monitor.json"
MONITOR_REPORT_FILE = "monitor.html"
BASE_MODELS_DIR = "base-model"
TOKENIZERS_DIR = "tokenizers"  # a tiny build's tokenizer trained alone, for the data checks
_RUN_NAME = re.compile(r"run-(\d+)")


@dataclass(frozen=True)
class RunRecord:
    """What `run.json` holds, section by section, in the order a round fills them in.

    A section a round has not reached yet is None and is left out of the file; keys written by
    another version of tuneloop are kept in `other` and written back unchanged."""

    project: str | None = None
    spec: dict[str, Any] | None = None  # the validated spec (`spec.recorded.run_spec` reads it back)
    guidelines: dict[str, str] | None = None  # the guidelines file and a hash of its text
    status: str | None = None
    data_gate: dict[str, Any] | None = None  # the data gate's record (`Verdict.to_dict`)
    dataset: dict[str, str] | None = None  # path and content hash of the DatasetVersion
    base_model: str | None = None
    mlflow_run_id: str | None = None
    phases: list[dict[str, Any]] | None = None  # one `PhaseResult` each, in training order
    final_model: str | None = None
    train_seconds: float | None = None
    evaluation: dict[str, dict[str, Any]] | None = None  # the headline metrics per split
    evaluation_gates: list[Verdict] | None = None  # the evaluation and fairness gates
    other: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        known = {f.name for f in fields(cls)} - {"other"}
        sections = {k: v for k, v in data.items() if k in known}
        if sections.get("evaluation_gates") is not None:
            sections["evaluation_gates"] = [
                Verdict.from_dict("evaluation", v) for v in sections["evaluation_gates"]
            ]
        return cls(**sections, other={k: v for k, v in data.items() if k not in known})

    def to_dict(self) -> dict[str, Any]:
        sections = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "other"}
        if self.evaluation_gates is not None:
            sections["evaluation_gates"] = [v.to_dict() for v in self.evaluation_gates]
        return {k: v for k, v in sections.items() if v is not None} | self.other

    @property
    def trained(self) -> bool:
        return self.final_model is not None


def read_record(run_dir: Path) -> RunRecord:
    """The run's record; an empty one where there is no `run.json` (yet)."""
    path = run_dir / RUN_FILE
    return RunRecord.from_dict(orjson.loads(path.read_bytes())) if path.is_file() else RunRecord()


def update_record(run_dir: Path, **sections: Any) -> RunRecord:
    """Set `sections` of the run's record (an unknown section name is a TypeError); under
    `accelerate launch` only the main process writes, the others get the sections back."""
    from tuneloop.distributed import is_main  # torch and accelerate: not for the readers of a run

    if not is_main():
        return RunRecord(**sections)
    record = replace(read_record(run_dir), **sections)
    partial = run_dir / f"{RUN_FILE}.partial"
    partial.write_bytes(orjson.dumps(record.to_dict(), option=orjson.OPT_INDENT_2))
    partial.replace(run_dir / RUN_FILE)
    return record


def require_run(run_dir: Path) -> RunRecord:
    """The record of a run directory, or a clear error for a path that is not one."""
    record = read_record(run_dir)
    if record.spec is None:
        raise TuneloopError(f"{run_dir}: not a run directory (no spec in {RUN_FILE})")
    return record


def new_run_dir(output_dir: Path, spec_file: Path) -> Path:
    """The next `run-NNN` under `output_dir`, holding a copy of the spec file it runs under."""
    output_dir.mkdir(parents=True, exist_ok=True)
    taken = [int(m.group(1)) for p in output_dir.iterdir() if (m := _RUN_NAME.fullmatch(p.name))]
    run_dir = output_dir / f"run-{max(taken, default=0) + 1:03d}"
    run_dir.mkdir()
    shutil.copyfile(spec_file, run_dir / SPEC_COPY)
    return run_dir


def run_number(run_dir: Path) -> int | None:
    match = _RUN_NAME.fullmatch(run_dir.name)
    return int(match.group(1)) if match else None


def runs_in(output_dir: Path) -> list[Path]:
    """The run directories under `output_dir`, oldest (lowest number) first."""
    if not output_dir.is_dir():
        return []
    found = [(n, p) for p in output_dir.iterdir() if (n := run_number(p)) is not None]
    return [p for _, p in sorted(found)]


def latest_unfinished_run(output_dir: Path) -> Path:
    for run_dir in reversed(runs_in(output_dir)):
        if not read_record(run_dir).trained:
            return run_dir
    raise TuneloopError(f"{output_dir}: no unfinished run to resume")


def previous_round(run_dir: Path) -> tuple[str, str] | None:
    """The latest earlier run (by number) in the same output directory whose final model is on
    disk, as (run name, model directory)."""
    own = run_number(run_dir)
    for path in reversed(runs_in(run_dir.parent)):
        if own is not None and (run_number(path) or 0) >= own:
            continue
        model = read_record(path).final_model
        if model and Path(model).is_dir():
            return path.name, model
    return None


def resolve_model_dir(path: Path) -> Path:
    """A model directory as given, or the final model of a run directory."""
    final = read_record(path).final_model
    return Path(final) if final is not None else path


def write_json(path: Path, value: Any) -> Path:
    """An artifact as indented JSON (the folder made first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2))
    return path


def read_json(path: Path) -> Any:
    """An artifact written by `write_json`, or None when the stage that writes it has not run."""
    return orjson.loads(path.read_bytes()) if path.is_file() else None


def read_review_results(run_dir: Path) -> dict[str, Any] | None:
    """What people found reviewing the run's outputs (`tuneloop review results`), if they have."""
    result: dict[str, Any] | None = read_json(review_dir(run_dir) / REVIEW_RESULTS_FILE)
    return result


def data_dir(run_dir: Path) -> Path:
    return run_dir / DATA_DIR


def phase_dir(run_dir: Path, index: int, name: str) -> Path:
    """Phase `index` (from 1) of the spec, named as the spec names it."""
    return run_dir / PHASES_DIR / f"{index}-{name}"


def phase_log(model_dir: Path) -> Path:
    """The phase log beside a phase's saved model."""
    return model_dir.parent / PHASE_LOG_FILE


def eval_dir(run_dir: Path, split: str) -> Path:
    return run_dir / EVAL_DIR / split


def compare_dir(split_dir: Path, name: str) -> Path:
    """Where a compared model's predictions on an evaluated split go."""
    return split_dir / COMPARE_DIR / name


def review_dir(run_dir: Path) -> Path:
    return run_dir / REVIEW_DIR


def monitor_dir(output_dir: Path, at: datetime) -> Path:
    """A new folder for one `tuneloop monitor` check, named by its time (UTC); a second check in
    the same second gets a numbered suffix."""
    base = output_dir / MONITOR_DIR / at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def latest_monitor(output_dir: Path) -> dict[str, Any] | None:
    """What the newest `tuneloop monitor` check found, if any has run."""
    home = output_dir / MONITOR_DIR
    checks = sorted(home.glob(f"*/{MONITOR_FILE}"), key=_check_order) if home.is_dir() else []
    found: dict[str, Any] | None = read_json(checks[-1]) if checks else None
    return found


def _check_order(path: Path) -> tuple[str, int]:
    stamp, _, n = path.parent.name.partition("-")
    return stamp, int(n) if n.isdigit() else 1


def built_model_dir(output_dir: Path, fingerprint: str) -> Path:
    """Where a built base model lives: one directory per fingerprint, shared by the runs that use
    it, so a run's `base_model` keeps pointing at the model it really started from."""
    return output_dir / BASE_MODELS_DIR / fingerprint
