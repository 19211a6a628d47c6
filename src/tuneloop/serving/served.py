"""What `tuneloop serve-model` serves: a run's final model or a model directory, the task card it
answers by, the project whose store keeps the log, and the names each response carries.

The model and card are found the way `tuneloop evaluate` finds them (`resolve_model_dir`,
`run_card` with a multilabel task's tuned threshold, or the card inside a model directory), so a
served answer is the answer evaluation scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneloop.errors import TuneloopError
from tuneloop.evaluate.run import run_card
from tuneloop.models import load_for_inference
from tuneloop.run_dir import RUN_FILE, read_record, run_number
from tuneloop.spec import ProjectSpec, load_spec
from tuneloop.spec.recorded import run_spec
from tuneloop.task_card import TaskCard

RUN_DEPTH = 3  # a phase's model sits at RUN/phases/K-NAME/model


@dataclass(frozen=True)
class Target:
    """The model to serve and where its log goes; nothing loaded yet (`--print-vllm` needs no model)."""

    id: str  # the model name clients send and every response names
    model_dir: Path
    run: str | None  # the run directory's name, when the model belongs to one
    round: int | None  # the run's number: round N of the project
    card: TaskCard
    project: ProjectSpec  # its store keeps the log, keys and feedback; its `serving` settings apply

    def identity(self) -> dict[str, Any]:
        """The names every response and log row carries."""
        return {
            "model_dir": str(self.model_dir),
            "run": self.run,
            "round": self.round,
            "task": self.card.task,
        }


@dataclass(frozen=True)
class ServedModel:
    target: Target
    model: Any
    tokenizer: Any


def resolve_target(path: Path, project: Path | None = None) -> Target:
    """A run directory (its final model) or a model directory, with the project it is served for:
    `project`, or else the project the run recorded."""
    if not path.is_dir():
        raise TuneloopError(f"{path}: no such run or model directory")
    run_dir = run_of(path)
    record = read_record(run_dir) if run_dir is not None else None
    if record is not None and run_dir == path:
        if record.final_model is None:
            raise TuneloopError(f"{path}: the run has no trained model yet (status: {record.status})")
        model_dir = Path(record.final_model)
    else:
        model_dir = path
    final = record is not None and record.final_model is not None and Path(record.final_model) == model_dir
    card = run_card(run_dir, run_spec(run_dir)) if final and run_dir is not None else TaskCard.load(model_dir)
    home = project or (Path(record.project) if record is not None and record.project else None)
    if home is None:
        raise TuneloopError(
            f"{path}: not inside a run; give --project DIR, whose store keeps the request log"
        )
    spec = load_spec(home)
    run = run_dir.name if run_dir is not None else None
    name = f"{spec.objective.name}-{run}" if run else spec.objective.name
    return Target(name, model_dir, run, run_number(run_dir) if run_dir else None, card, spec)


def run_of(path: Path) -> Path | None:
    """The run directory `path` is, or lies in (a phase's model), if any."""
    for candidate in (path, *path.resolve().parents[:RUN_DEPTH]):
        if (candidate / RUN_FILE).is_file() and read_record(candidate).spec is not None:
            return candidate
    return None


def load_served(target: Target) -> ServedModel:
    """Load the model once, on the GPU when there is one, as evaluation does."""
    model, tokenizer = load_for_inference(str(target.model_dir))
    return ServedModel(target, model, tokenizer)
