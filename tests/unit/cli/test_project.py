"""`tuneloop init`: an example or the skeleton, each a valid project; never over existing files."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()


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


def test_init_refuses_a_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["init", str(tmp_path / "notes.txt")])
    assert result.exit_code == 2 and "not an empty directory" in result.stderr
