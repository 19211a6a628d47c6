from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tuneloop.errors import TuneloopError
from tuneloop.pipeline import ensure_base_model, new_run_dir, resolve_model_dir, run_spec, update_run
from tuneloop.spec import load_spec
from tuneloop.train.base_model import BUILD_INFO


def test_run_directories_are_numbered_and_keep_the_spec_file(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project())
    first, second = new_run_dir(spec), new_run_dir(spec)
    assert (first.name, second.name) == ("run-001", "run-002")
    assert (first / "tuneloop.yaml").read_text() == (spec.root / "tuneloop.yaml").read_text()


def test_a_run_remembers_its_spec_and_project(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project())
    run_dir = new_run_dir(spec)
    update_run(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"))
    again = run_spec(run_dir)
    assert again.root == spec.root and again.output_path == spec.output_path
    assert again.label_names == spec.label_names and again.phases == spec.phases
    with pytest.raises(TuneloopError, match="not a run directory"):
        run_spec(run_dir.parent)


def test_a_run_directory_stands_for_its_final_model(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_bytes(orjson.dumps({"final_model": "/models/final"}))
    assert resolve_model_dir(tmp_path) == Path("/models/final")
    assert resolve_model_dir(tmp_path / "model") == tmp_path / "model"


def test_the_tiny_model_is_rebuilt_only_when_what_it_depends_on_changes(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(rows=60, labels=3)
    spec = load_spec(project)
    path, built = ensure_base_model(spec)
    assert built and (Path(path) / BUILD_INFO).is_file()
    assert ensure_base_model(spec) == (path, False)
    fewer = spec.model_copy(update={"labels": spec.labels[:2]})
    other, built = ensure_base_model(fewer)
    assert built and other != path and (Path(path) / BUILD_INFO).is_file()  # the first build is kept
    assert ensure_base_model(fewer, force=True) == (other, True)
