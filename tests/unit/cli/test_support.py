"""The error guard: bad input exits 2 with one line, a bug exits 3 with the traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()


def test_invalid_spec_exits_2_with_the_line_and_no_traceback(make_project: Callable[..., Path]) -> None:
    project = make_project()
    spec = project / "tuneloop.yaml"
    spec.write_text(spec.read_text().replace("learning_rate: 0.003", "learning_rate: 0", 1))
    result = runner.invoke(app, ["check", str(project)])
    assert result.exit_code == 2
    assert "phases[0].learning_rate: must be > 0 (tuneloop.yaml:" in result.stderr
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an escaped exception
    assert "Traceback" not in result.stderr


def test_unknown_option_is_bad_usage() -> None:
    assert runner.invoke(app, ["check", "--no-such-option"]).exit_code == 2


def test_an_internal_error_exits_3_with_the_traceback(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(spec: object, engine: str = "local") -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("tuneloop.data.check_report.check_data", broken)
    result = runner.invoke(app, ["check", str(make_project())])
    assert result.exit_code == 3
    assert "RuntimeError('boom')" in result.stderr and "Traceback" in result.stderr


def test_with_json_an_exit_2_error_is_one_json_object_on_stdout(make_project: Callable[..., Path]) -> None:
    project = make_project()
    spec = project / "tuneloop.yaml"
    spec.write_text(spec.read_text().replace("learning_rate: 0.003", "learning_rate: 0", 1))
    result = runner.invoke(app, ["check", str(project), "--json"])
    assert result.exit_code == 2
    payload = orjson.loads(result.stdout)
    assert payload["exit_code"] == 2 and "phases[0].learning_rate: must be > 0" in payload["error"]
    assert "learning_rate" in result.stderr  # the line for people stays on stderr


def test_with_json_a_usage_error_is_one_json_object_on_stdout() -> None:
    for args in (["check", "--json", "--no-such-option"], ["users", "add", "--json"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        payload = orjson.loads(result.stdout)
        assert payload["exit_code"] == 2 and payload["error"], result.stdout
    assert runner.invoke(app, ["check", "--no-such-option"]).stdout == ""  # without --json: stderr only


def test_an_error_naming_50000_columns_is_cut(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"column{i}" for i in range(50_000)) + "\n" + ",".join("x" * 50_000) + "\n")
    result = runner.invoke(app, ["check", str(wide), "--json"])
    assert result.exit_code == 2 and "no text column found" in result.stderr
    assert len(result.stderr) < 3000 and len(result.stdout) < 3000
    assert "column0, column1" in result.stderr and "and 49,980 more" in result.stderr


def test_an_aborted_prompt_is_typer_s_abort_not_an_internal_error(make_project: Callable[..., Path]) -> None:
    result = runner.invoke(app, ["users", "add", "ann", "--project", str(make_project())], input="")
    assert result.exit_code == 1, result.output
    assert "Aborted" in result.stderr and "internal error" not in result.stderr
