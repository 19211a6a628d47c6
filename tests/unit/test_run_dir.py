from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tuneloop.errors import TuneloopError
from tuneloop.run_dir import (
    MONITOR_FILE,
    RUN_FILE,
    RunRecord,
    latest_monitor,
    latest_unfinished_run,
    monitor_dir,
    new_run_dir,
    previous_round,
    read_record,
    resolve_model_dir,
    update_record,
    write_json,
)
from tuneloop.spec import load_spec
from tuneloop.spec.recorded import run_spec
from tuneloop.verdict import Verdict


def test_run_directories_are_numbered_and_keep_the_spec_file(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project())
    assert spec.path is not None
    first, second = new_run_dir(spec.output_path, spec.path), new_run_dir(spec.output_path, spec.path)
    assert (first.name, second.name) == ("run-001", "run-002")
    assert (first / "tuneloop.yaml").read_text() == (spec.root / "tuneloop.yaml").read_text()


def test_a_run_remembers_its_spec_and_project(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project())
    assert spec.path is not None
    run_dir = new_run_dir(spec.output_path, spec.path)
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"))
    again = run_spec(run_dir)
    assert again.root == spec.root and again.output_path == spec.output_path
    assert again.label_names == spec.label_names and again.phases == spec.phases
    with pytest.raises(TuneloopError, match="not a run directory"):
        run_spec(run_dir.parent)


def test_the_record_writes_only_the_sections_a_round_reached_and_keeps_unknown_keys(tmp_path: Path) -> None:
    (tmp_path / RUN_FILE).write_bytes(orjson.dumps({"status": "training", "from_a_later_version": [1]}))
    record = update_record(tmp_path, base_model="/m", phases=[{"name": "general"}])
    written = orjson.loads((tmp_path / RUN_FILE).read_bytes())
    assert written == {
        "status": "training",
        "base_model": "/m",
        "phases": [{"name": "general"}],
        "from_a_later_version": [1],
    }
    assert read_record(tmp_path) == record and record.trained is False
    assert not (tmp_path / f"{RUN_FILE}.partial").exists()


def test_an_unknown_section_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        update_record(tmp_path, final_modle="/typo")
    assert read_record(tmp_path) == RunRecord()


def test_a_run_directory_stands_for_its_final_model(tmp_path: Path) -> None:
    (tmp_path / RUN_FILE).write_bytes(orjson.dumps({"final_model": "/models/final"}))
    assert resolve_model_dir(tmp_path) == Path("/models/final")
    assert resolve_model_dir(tmp_path / "model") == tmp_path / "model"


def test_previous_round_is_the_latest_earlier_run_with_a_model_on_disk(tmp_path: Path) -> None:
    runs = {}
    for n in (1, 2, 3, 10):
        runs[n] = tmp_path / f"run-{n:03d}"
        runs[n].mkdir()
    (tmp_path / "model-1").mkdir()
    update_record(runs[1], final_model=str(tmp_path / "model-1"))
    update_record(runs[2], final_model=str(tmp_path / "deleted"))  # recorded, but gone from disk
    assert previous_round(runs[3]) == ("run-001", str(tmp_path / "model-1"))
    assert previous_round(runs[1]) is None
    assert latest_unfinished_run(tmp_path) == runs[10]
    update_record(runs[10], final_model="/x")
    assert latest_unfinished_run(tmp_path) == runs[3]
    for n in (1, 2, 3):
        update_record(runs[n], final_model="/x")
    with pytest.raises(TuneloopError, match="no unfinished run"):
        latest_unfinished_run(tmp_path)


def test_evaluation_gates_are_verdicts_in_the_record_and_their_records_on_file(tmp_path: Path) -> None:
    verdict = Verdict("evaluation", "accuracy >= 0.7", False, scope="overall", detail="0.61 [0.55, 0.66]")
    update_record(tmp_path, evaluation_gates=[verdict])
    on_file = orjson.loads((tmp_path / RUN_FILE).read_bytes())["evaluation_gates"]
    assert on_file == [
        {"gate": "accuracy >= 0.7", "scope": "overall", "passed": False, "detail": "0.61 [0.55, 0.66]"}
    ]
    assert read_record(tmp_path).evaluation_gates == [verdict]


def test_monitor_checks_get_folders_of_their_own_and_the_newest_is_found(tmp_path: Path) -> None:
    assert latest_monitor(tmp_path) is None
    at = datetime(2026, 12, 2, 7, 5, 9, tzinfo=UTC)
    first = monitor_dir(tmp_path, at)
    write_json(first / MONITOR_FILE, {"n": 1})
    second = monitor_dir(tmp_path, at)  # the same second: a numbered folder beside it
    write_json(second / MONITOR_FILE, {"n": 2})
    assert (first.name, second.name) == ("20261202T070509Z", "20261202T070509Z-2")
    write_json(monitor_dir(tmp_path, datetime(2026, 12, 1, tzinfo=UTC)) / MONITOR_FILE, {"n": 0})
    assert latest_monitor(tmp_path) == {"n": 2}
