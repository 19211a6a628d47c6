"""The example project and small text edits of a project's spec, shared by the spec tests."""

from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "banking77"


def broken(project: Path, old: str, new: str, occurrence: int = 1) -> Path:
    """Replace the `occurrence`-th `old` in the project's spec with `new`."""
    path = project / "tuneloop.yaml"
    parts = path.read_text().split(old)
    assert len(parts) > occurrence, old
    path.write_text(old.join(parts[:occurrence]) + new + old.join(parts[occurrence:]))
    return project


def line_of(project: Path, needle: str) -> int:
    lines = (project / "tuneloop.yaml").read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if needle in line)
