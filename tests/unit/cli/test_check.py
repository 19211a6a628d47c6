"""`tuneloop check` on a project or on files: exit 1 for rows with errors, 2 for bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
from ruamel.yaml import YAML
from typer.testing import CliRunner

from tuneloop.cli import app

runner = CliRunner()


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


def test_an_empty_damaged_or_misnamed_parquet_file_exits_2_naming_it(tmp_path: Path) -> None:
    files = {
        "empty.parquet": b"",
        "damaged.parquet": b"PAR1" + b"\x00" * 64,
        "csv.parquet": b"text,label\na,b\n",
    }
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
        for args in (["check", str(tmp_path / name)], ["check", str(tmp_path / name), "--json"]):
            result = runner.invoke(app, args)
            assert result.exit_code == 2, result.output
            assert (
                f"{name}: not a readable Parquet file" in result.stderr and "Traceback" not in result.stderr
            )
    assert "not a readable Parquet file" in orjson.loads(result.stdout)["error"]


def test_an_unterminated_quote_in_the_last_column_is_found_with_its_line(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text(
        'text,label\nmy card is late,"card_arrival\nwhere is my pin,pin_blocked\nhi,card_arrival\n'
    )
    result = runner.invoke(app, ["check", str(data), "--json"])
    assert result.exit_code == 1
    (finding,) = orjson.loads(result.stdout)["findings"]
    assert (finding["line"], finding["code"]) == (2, "unterminated_quote")
    assert "lines 2-4" in finding["message"]


def test_a_generate_phase_watching_a_label_metric_is_refused_by_check_and_run(
    make_project: Callable[..., Path],
) -> None:
    """A generate task's monitor measures text metrics; a gate on accuracy is refused up front."""
    project = make_project(rows=60, labels=3, objective={"name": "g", "task": "generate"}, evaluation={})
    yaml = YAML()
    spec = yaml.load((project / "tuneloop.yaml").read_text())
    del spec["labels"]
    spec["phases"][1].update({"eval_every": 4, "eval_rows": 4, "gate": ["val.accuracy >= 0.5"]})
    with (project / "tuneloop.yaml").open("w") as fh:
        yaml.dump(spec, fh)
    for command in ("check", "run"):
        result = runner.invoke(app, [command, str(project)])
        assert result.exit_code == 2, (command, result.output)
        assert (
            "phase 'task' watches accuracy, which a generate task's monitor does not measure" in result.stderr
        )
        assert "it measures chrf, bleu, rouge_l, exact_match, invalid_rate and loss" in result.stderr
    assert not (project / "runs").exists()  # refused before anything was trained
