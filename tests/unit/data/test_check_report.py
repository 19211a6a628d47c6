"""`tuneloop check` end to end: files with known defects at known lines (what it catches, and that
it flags nothing else), a project as a run would read it, and formats and splits told from files."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from tests.conftest import EXAMPLE, banking_rows, write_csv
from tests.unit.data.checks.helpers import MESSY, chat, messy_file
from tuneloop.data.check_report import check_data, check_files, infer_source, split_of
from tuneloop.spec import load_spec


def test_a_messy_chat_file_gets_each_defect_on_its_line_and_nothing_else(tmp_path: Path) -> None:
    report = check_files([messy_file(tmp_path)])
    found = {(f["line"], f["code"]) for f in report["findings"]}
    expected = {(i, code) for i, (_, code) in enumerate(MESSY, start=1) if code}
    assert found == expected
    assert all(f["file"].endswith("messy.jsonl") and f["message"] for f in report["findings"])
    counts = report["counts"]
    assert counts["read"] == len(MESSY) == counts["kept"] + counts["quarantined"]
    assert report["ok"] is False and report["findings_summary"]["by_severity"]["error"] == 9


def test_leakage_between_split_files_is_flagged_on_the_training_row(tmp_path: Path) -> None:
    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    shared = "Why was my card declined at the supermarket this morning?"
    train.write_bytes(chat("How do I order a new card for my son?") + b"\n" + chat(shared) + b"\n")
    test.write_bytes(chat("Why was my card declined at the supermarket this morning??") + b"\n")
    report = check_files([train, test])
    leaks = [(Path(f["file"]).name, f["line"], f["code"]) for f in report["findings"]]
    assert leaks == [("train.jsonl", 2, "leakage")]
    assert report["counts"]["splits"] == {"train": 2, "test": 1}


def test_conflicting_labels_in_a_labelled_csv(tmp_path: Path) -> None:
    rows = [
        {"text": "Has my top up gone through?", "label": "pending_top_up"},
        {"text": "Where is my new card?", "label": "card_arrival"},
        {"text": "Has my top-up gone through", "label": "top_up_reverted"},
    ]
    report = check_files([write_csv(tmp_path / "d.csv", rows)])
    assert [(f["line"], f["code"]) for f in report["findings"]] == [(4, "conflicting_labels")]
    assert "d.csv:2" in report["findings"][0]["message"]


def test_real_banking77_rows_raise_no_false_alarms(tmp_path: Path) -> None:
    rows = banking_rows(400, labels=8)
    report = check_files([write_csv(tmp_path / "train.csv", rows)])
    flagged = {(f["code"], f["line"]) for f in report["findings"]}
    # The only flags on these real rows are copies the data really has (checked by hand).
    assert {code for code, _ in flagged} <= {"duplicate", "near_duplicate", "conflicting_labels"}
    assert len(flagged) <= 6
    assert report["checks"]["relevance"]["scored"] == 400 and report["ok"]
    balance = report["checks"]["balance"]
    assert balance["labels"]["labels"] == 8 and 0.9 < balance["labels"]["normalised_entropy"] <= 1


def test_an_off_task_row_and_a_rare_label_are_flagged(tmp_path: Path) -> None:
    rows = banking_rows(240, labels=4)
    rows.append(
        {"text": "Preheat the oven and bake the lasagne for forty minutes", "category": rows[0]["category"]}
    )
    rows += [
        {"text": f"Is my refund for order {i} on its way yet?", "category": "refund_x"} for i in range(2)
    ]
    report = check_files([write_csv(tmp_path / "d.csv", rows)])
    codes = {(f["code"], f["line"]) for f in report["findings"]}
    assert ("irrelevant", 242) in codes
    assert any(
        code == "rare_label" and "refund_x" in f["message"]
        for f in report["findings"]
        for code in [f["code"]]
    )


def test_format_and_split_are_inferred_from_the_file(tmp_path: Path) -> None:
    with (EXAMPLE / "data" / "train.csv").open() as fh:
        header = next(csv.reader(fh))
    assert header == ["text", "category"]
    source = infer_source(EXAMPLE / "data" / "train.csv")
    assert (source.format, source.fields.text, source.fields.label) == ("csv", "text", "category")
    assert infer_source(messy_file(tmp_path)).format == "chat"
    assert [split_of(Path(p)) for p in ("a/train.jsonl", "dev.csv", "my-valid.jsonl", "test_set.csv")] == [
        "train",
        "validation",
        "validation",
        "test",
    ]


def test_check_counts_add_up_and_name_labels_without_examples(make_project: Callable[..., Path]) -> None:
    project = make_project(rows=60, labels=3)
    spec = load_spec(project)
    extra = spec.labels[0].model_copy(update={"name": "never_seen"})
    spec = spec.model_copy(update={"labels": [*spec.labels, extra]})
    with (project / "data" / "train.csv").open("a") as fh:
        fh.write("text without a label,\n")
    report = check_data(spec)
    assert report["ok"] is False
    assert report["counts"]["read"] == 61 == report["counts"]["kept"] + report["counts"]["quarantined"]
    assert report["labels_without_examples"] == ["never_seen"]
    assert sum(report["labels"].values()) == 60
    assert report["findings_summary"] == {
        "total": 2,
        "by_severity": {"error": 1, "warning": 1},
        "by_code": {"empty_text": 1, "label_without_rows": 1},
    }
