"""The spec a run was trained with, read back from its record, so `tuneloop evaluate --run`,
`tuneloop report` and the review commands need the run directory alone, not the project."""

from __future__ import annotations

from pathlib import Path

from tuneloop.run_dir import require_run
from tuneloop.spec.project import ProjectSpec


def run_spec(run_dir: Path) -> ProjectSpec:
    """The recorded spec (its relative paths are not re-checked), rooted at the run's project."""
    record = require_run(run_dir)
    spec = ProjectSpec.model_validate(record.spec)
    spec.root = Path(record.project) if record.project is not None else spec.root
    return spec
