"""`tuneloop init`: an example or the skeleton, each a valid project; never over existing files."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from tests.conftest import banking_rows, write_csv
from tuneloop.cli import app
from tuneloop.spec import load_spec

runner = CliRunner()


def test_init_example_copies_a_valid_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "--example", "banking77", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "p").iterdir()} == {
        "tuneloop.yaml",
        "qwen-lora.yaml",
        "smollm2-lora.yaml",
        "guidelines.md",
        "data",
        ".gitignore",
    }
    assert (tmp_path / "p" / "data" / "NOTICE.md").is_file()
    real = load_spec(tmp_path / "p" / "smollm2-lora.yaml")  # the real-model recipe is a valid spec too
    assert real.model.base == "models/smollm2-135m-instruct" and real.phases[0].lora is not None
    check = runner.invoke(app, ["check", str(tmp_path / "p"), "--json"])
    assert check.exit_code == 0
    assert orjson.loads(check.stdout)["counts"]["read"] == 10003


def test_init_keeps_the_store_the_web_secret_and_runs_out_of_git(tmp_path: Path) -> None:
    import subprocess

    project = tmp_path / "p"
    assert runner.invoke(app, ["init", str(project)]).exit_code == 0
    private = ["annotations.db", "annotations.db-wal", ".tuneloop/web-secret", "runs/run-001/x"]
    for name in private:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("private")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    shown = subprocess.run(
        ["git", "-C", str(project), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "tuneloop.yaml" in shown and not any(name in shown for name in private), shown


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


def test_init_takes_the_labels_and_the_source_from_a_data_file(tmp_path: Path) -> None:
    rows = banking_rows(40, labels=3)
    data = write_csv(tmp_path / "mine.csv", rows)
    result = runner.invoke(app, ["init", str(tmp_path / "p"), "--labels-from", str(data)])
    assert result.exit_code == 0, result.output
    assert "with the 3 labels of" in result.stderr
    spec = load_spec(tmp_path / "p")
    assert spec.label_names == list(dict.fromkeys(r["category"] for r in rows))  # as they first appear
    assert spec.data.sources[0].path.resolve() == data and spec.data.sources[0].fields.label == "category"
    assert not (tmp_path / "p" / "data").exists()  # the skeleton's sample is not the project's data
    check = runner.invoke(app, ["check", str(tmp_path / "p"), "--json"])
    assert check.exit_code == 0, check.output
    assert orjson.loads(check.stdout)["counts"]["read"] == 40


def test_init_labels_from_chat_rows_are_their_answers(tmp_path: Path) -> None:
    lines = [
        {
            "messages": [
                {"role": "user", "content": f"q{i}"},
                {"role": "assistant", "content": "yes" if i % 2 else "no"},
            ]
        }
        for i in range(6)
    ]
    data = tmp_path / "chat.jsonl"
    data.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    result = runner.invoke(app, ["init", str(tmp_path / "p"), "--labels-from", str(data)])
    assert result.exit_code == 0, result.output
    spec = load_spec(tmp_path / "p")
    assert spec.label_names == ["no", "yes"] and spec.data.sources[0].format == "chat"


def test_init_refuses_free_text_as_labels_and_leaves_nothing(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "free.csv", [{"text": f"t{i}", "label": f"an answer {i}"} for i in range(80)])
    result = runner.invoke(app, ["init", str(tmp_path / "p"), "--labels-from", str(data)])
    assert result.exit_code == 2 and "80 distinct values in 80 rows: free text, not labels" in result.stderr
    assert not (tmp_path / "p").exists()
    both = runner.invoke(
        app, ["init", str(tmp_path / "q"), "--labels-from", str(data), "--example", "banking77"]
    )
    assert both.exit_code == 2 and "--labels-from fills in the skeleton" in both.stderr


def test_init_refuses_labels_a_spec_cannot_take_and_removes_what_it_wrote(tmp_path: Path) -> None:
    data = write_csv(
        tmp_path / "case.csv", [{"text": f"t{i}", "label": ["Yes", "yes", "no"][i % 3]} for i in range(9)]
    )
    (tmp_path / "p").mkdir()
    result = runner.invoke(app, ["init", str(tmp_path / "p"), "--labels-from", str(data)])
    assert result.exit_code == 2 and "differ only in case" in result.stderr
    assert (tmp_path / "p").is_dir() and not any((tmp_path / "p").iterdir())  # it was given empty
