"""The suite end to end on files with known defects at known lines: what it catches, and that it
flags nothing else."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson

from tests.conftest import EXAMPLE, banking_rows, write_csv
from tuneloop.data.check import check_files, infer_source, split_of
from tuneloop.data.checks.base import issue_table
from tuneloop.data.checks.settings import CheckSettings
from tuneloop.data.quality import run_checks, shards_from_sources
from tuneloop.task_card import TaskCard


def _chat(user: str, answer: str = "It is on its way.", **extra: Any) -> bytes:
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return orjson.dumps({"messages": messages, **extra})


MESSY = [
    (_chat("Where is my card? I ordered it last week."), None),
    (b"{not json", "invalid_json"),
    (b"[1, 2]", "not_an_object"),
    (orjson.dumps({"messages": [{"role": "user", "content": "hi there"}]}), "no_assistant_message"),
    (_chat("   "), "empty_text"),
    (orjson.dumps({"messages": [{"role": "robot", "content": "x"}, {"role": "assistant", "content": "y"}]}),
     "unknown_role"),
    (orjson.dumps({"messages": [{"content": "x"}, {"role": "assistant", "content": "y"}]}), "missing_field"),
    (orjson.dumps({"messages": "nope"}), "wrong_type"),
    (orjson.dumps({"prompt": "no messages here"}), "missing_field"),
    (_chat("Can I change my PIN at a cash machine?", colour="red"), "unrecognised_key"),
    (_chat("My email is jane.roe@example.org, please call back"), "pii_email"),
    (_chat("Charge it to 4111 1111 1111 1111 please"), "pii_credit_card"),
    (_chat("I&#39;m angry about the <b>fees</b>"), "markup"),
    (_chat("The cafÃ© said my card doesnâ€™t work"), "mojibake"),
    (_chat("a bell\x07 in the text of this message"), "control_chars"),
    (_chat("?"), "too_short"),
    (_chat(" ".join(f"word{i}" for i in range(5000))), "too_long"),
    (_chat("where is my card? i ordered it LAST week!"), "duplicate"),
    (b'{"messages": [{"role": "user", "content": "bad \xff byte"}]}', "invalid_utf8"),
    (_chat("How do I top up my account by bank transfer from abroad?"), None),
    (_chat("How do I top up my account by bank transfer from abroad today?"), "near_duplicate"),
    (_chat("test"), "uninformative"),
]  # fmt: skip


def _messy(tmp_path: Path) -> Path:
    path = tmp_path / "messy.jsonl"
    path.write_bytes(b"\n".join(line for line, _ in MESSY) + b"\n")
    return path


def test_a_messy_chat_file_gets_each_defect_on_its_line_and_nothing_else(tmp_path: Path) -> None:
    report = check_files([_messy(tmp_path)])
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
    train.write_bytes(_chat("How do I order a new card for my son?") + b"\n" + _chat(shared) + b"\n")
    test.write_bytes(_chat("Why was my card declined at the supermarket this morning??") + b"\n")
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


def test_issue_table_has_one_row_per_row_read_and_a_column_per_issue(tmp_path: Path) -> None:
    source = infer_source(_messy(tmp_path))
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
    source, card = infer_source(_messy(tmp_path)), TaskCard("generate", [], None)

    def findings(size: int) -> list[tuple[Any, ...]]:
        report = run_checks(
            lambda: shards_from_sources([(source, "train")], card, tmp_path, size), CheckSettings()
        )
        return [(f.line, f.code, f.message) for f in report.findings]

    assert findings(3) == findings(1000)


def test_format_and_split_are_inferred_from_the_file(tmp_path: Path) -> None:
    with (EXAMPLE / "data" / "train.csv").open() as fh:
        header = next(csv.reader(fh))
    assert header == ["text", "category"]
    source = infer_source(EXAMPLE / "data" / "train.csv")
    assert (source.format, source.fields.text, source.fields.label) == ("csv", "text", "category")
    assert infer_source(_messy(tmp_path)).format == "chat"
    assert [split_of(Path(p)) for p in ("a/train.jsonl", "dev.csv", "my-valid.jsonl", "test_set.csv")] == [
        "train",
        "validation",
        "validation",
        "test",
    ]
