from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.data.checks.helpers import MESSY
from tuneloop.data.check_report import check_files


@pytest.mark.slow
def test_ray_engine_finds_what_the_local_engine_finds(tmp_path: Path) -> None:
    # No skip without ray: `make test-slow` installs tuneloop[ray], so a missing engine is a failure.
    path = tmp_path / "messy.jsonl"
    path.write_bytes(b"\n".join(line for line, _ in MESSY) + b"\n")
    local, on_ray = check_files([path]), check_files([path], engine="ray")
    assert on_ray["findings"] == local["findings"] and on_ray["counts"] == local["counts"]
    assert on_ray["checks"] == local["checks"]
