"""The suite over shards: findings do not depend on the shard size, and the results join into one
issue table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.unit.data.checks.helpers import MESSY, messy_file
from tuneloop.data.check_report import infer_source
from tuneloop.data.checks.base import issue_table
from tuneloop.data.checks.settings import CheckSettings
from tuneloop.data.checks.suite import run_checks, shards_from_sources
from tuneloop.task_card import TaskCard


def test_issue_table_has_one_row_per_row_read_and_a_column_per_issue(tmp_path: Path) -> None:
    source = infer_source(messy_file(tmp_path))
    report = run_checks(
        lambda: shards_from_sources([(source, "train")], TaskCard("generate", [], None), tmp_path, size=5),
        CheckSettings(),
    )
    table = issue_table(report.results.values(), report.read)
    assert table.num_rows == len(MESSY)
    flags = table.to_pydict()
    assert flags["is_invalid_json"][1] and not flags["is_invalid_json"][0]
    assert flags["too_long_score"][16] > 1 and flags["too_long_score"][0] is None


def test_shard_size_does_not_change_the_findings(tmp_path: Path) -> None:
    source, card = infer_source(messy_file(tmp_path)), TaskCard("generate", [], None)

    def findings(size: int) -> list[tuple[Any, ...]]:
        report = run_checks(
            lambda: shards_from_sources([(source, "train")], card, tmp_path, size), CheckSettings()
        )
        return [(f.line, f.code, f.message) for f in report.findings]

    assert findings(3) == findings(1000)
