from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()
COMMANDS = [
    ["init"],
    ["check"],
    ["base-model"],
    ["base-model", "build"],
    ["train"],
    ["evaluate"],
    ["report"],
    ["run"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and len(result.output.splitlines()) > 4


def test_init_example_copies_a_valid_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "--example", "banking77", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "p").iterdir()} == {
        "tuneloop.yaml",
        "qwen-lora.yaml",
        "guidelines.md",
        "data",
    }
    assert (tmp_path / "p" / "data" / "NOTICE.md").is_file()
    check = runner.invoke(app, ["check", str(tmp_path / "p"), "--json"])
    assert check.exit_code == 0
    assert orjson.loads(check.stdout)["counts"]["read"] == 10003


def test_init_skeleton_is_a_valid_project(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path / "p")]).exit_code == 0
    check = runner.invoke(app, ["check", str(tmp_path / "p"), "--json"])
    assert check.exit_code == 0, check.output
    assert orjson.loads(check.stdout)["ok"] is True


def test_init_refuses_a_non_empty_directory_and_unknown_examples(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 2 and "not an empty directory" in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"
    result = runner.invoke(app, ["init", "--example", "nope", str(tmp_path / "new")])
    assert result.exit_code == 2 and "known: banking77" in result.stderr


def test_invalid_spec_exits_2_with_the_line_and_no_traceback(make_project: Callable[..., Path]) -> None:
    project = make_project()
    spec = project / "tuneloop.yaml"
    spec.write_text(spec.read_text().replace("learning_rate: 0.003", "learning_rate: 0", 1))
    result = runner.invoke(app, ["check", str(project)])
    assert result.exit_code == 2
    assert "phases[0].learning_rate: must be > 0 (tuneloop.yaml:" in result.stderr
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an escaped exception
    assert "Traceback" not in result.stderr


def test_check_exits_1_when_rows_have_errors(make_project: Callable[..., Path]) -> None:
    project = make_project()
    with (project / "data" / "train.csv").open("a") as fh:
        fh.write("My card never came,not_a_label\n")
    result = runner.invoke(app, ["check", str(project), "--json"])
    assert result.exit_code == 1
    report = orjson.loads(result.stdout)
    assert report["ok"] is False
    assert report["counts"]["read"] == report["counts"]["kept"] + report["counts"]["quarantined"] == 301
    (finding,) = report["findings"]
    assert (finding["file"], finding["line"], finding["code"]) == ("data/train.csv", 302, "unknown_label")


def test_evaluate_without_model_or_data_is_bad_usage() -> None:
    result = runner.invoke(app, ["evaluate"])
    assert result.exit_code == 2 and "give MODEL_DIR with --data FILE" in result.stderr


def test_unknown_option_is_bad_usage() -> None:
    assert runner.invoke(app, ["check", "--no-such-option"]).exit_code == 2


def test_report_on_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a run directory" in result.stderr


def test_an_internal_error_exits_3_with_the_traceback(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(spec: object, engine: str = "local") -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("tuneloop.data.check.check_data", broken)
    result = runner.invoke(app, ["check", str(make_project())])
    assert result.exit_code == 3
    assert "RuntimeError('boom')" in result.stderr and "Traceback" in result.stderr


def test_init_refuses_a_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["init", str(tmp_path / "notes.txt")])
    assert result.exit_code == 2 and "not an empty directory" in result.stderr


def test_evaluate_option_conflicts_are_bad_usage(tmp_path: Path) -> None:
    run = ["evaluate", "--run", str(tmp_path)]
    result = runner.invoke(app, [*run, "--data", "x.csv"])
    assert result.exit_code == 2 and "--data" in result.stderr and "not to --run" in result.stderr
    result = runner.invoke(app, [*run, "--out-dir", str(tmp_path / "o")])
    assert result.exit_code == 2 and "--out-dir goes with MODEL_DIR" in result.stderr
    result = runner.invoke(app, [*run, "--split", "unlabeled"])
    assert (
        result.exit_code == 2
        and "--split 'unlabeled': expected one of train, validation, test" in result.stderr
    )


def test_check_files_prints_one_json_object_with_every_finding(tmp_path: Path) -> None:
    data = tmp_path / "chat.jsonl"
    messages = [{"role": "user", "content": "Where is my card?"}, {"role": "assistant", "content": "ok"}]
    good = orjson.dumps({"messages": messages})
    data.write_bytes(good + b"\n{oops\n" + good + b"\n")
    result = runner.invoke(app, ["check", str(data), "--json"])
    assert result.exit_code == 1
    report = orjson.loads(result.stdout)
    assert [(f["line"], f["code"], f["severity"]) for f in report["findings"]] == [
        (2, "invalid_json", "error"),
        (3, "duplicate", "warning"),
    ]
    assert report["files"] == [str(data)] and report["counts"]["read"] == 3
    assert set(report["checks"]) >= {"format", "length", "duplicates", "hygiene", "pii", "balance"}


def test_check_files_bad_input_exits_2(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("foo,bar\n1,2\n")
    result = runner.invoke(app, ["check", str(tmp_path / "d.csv")])
    assert result.exit_code == 2 and "no text column found" in result.stderr
    result = runner.invoke(app, ["check", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2 and "no such file" in result.stderr
