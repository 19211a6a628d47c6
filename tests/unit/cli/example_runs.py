"""What the example projects' end-to-end tests share: the copied example and its notice, and a
small cut of it run once through `tuneloop run`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()
DATA_FILES = {"train.json", "test.json", "NOTICE.md", "LICENSE"}


def has_notice(project: Path, licence: str) -> bool:
    """Whether the copied example's data is its train and test files with the notice and licence."""
    data = project / "data"
    return {p.name for p in data.iterdir()} == DATA_FILES and licence in (data / "NOTICE.md").read_text()


def run_small(small: Path, spec: Any) -> Path:
    """`spec` (a loaded tuneloop.yaml) written into `small` and run; the run directory."""
    with (small / "tuneloop.yaml").open("w") as fh:
        YAML().dump(spec, fh)
    result = runner.invoke(app, ["run", str(small)])
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 0, result.output
    return small / "runs" / "run-001"
