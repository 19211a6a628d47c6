"""The multilabel balance counts: per label and split, pairs, set sizes, and rare labels, the same
however the rows are cut into shards."""

from __future__ import annotations

from tuneloop.data.checks import label_sets
from tuneloop.data.checks.base import CheckedRow
from tuneloop.data.example import Example, build_messages
from tuneloop.label_text import canonical_answer

SCHEMA = ("why", "change", "card", "pin")
SETS = [("why", "card"), ("card",), ("why", "change", "card"), (), ("pin",), ("why", "card")]


def _rows() -> list[CheckedRow]:
    rows = []
    for i, labels in enumerate(SETS):
        answer = canonical_answer(labels)
        example = Example(build_messages(f"text {i}", answer, None), answer, f"d.json:{i + 2}", labels=labels)
        rows.append(CheckedRow(i, example, "d.json", i + 2, "test" if i == 5 else "train"))
    return rows


def test_counts_pairs_and_sizes() -> None:
    summary = label_sets.summary(label_sets.observe(_rows()), SCHEMA)
    assert summary["rows"] == 6
    assert summary["label_counts"] == {"why": 3, "change": 1, "card": 4, "pin": 1}  # schema order
    assert summary["split_counts"] == {
        "test": {"why": 1, "card": 1},
        "train": {"why": 2, "change": 1, "card": 3, "pin": 1},
    }
    assert summary["set_sizes"] == {"0": 1, "1": 2, "2": 2, "3": 1}
    assert summary["distinct_sets"] == 5 and summary["mean_labels"] == round(9 / 6, 3)
    assert summary["cooccurrence"] == [["why", "card", 3], ["change", "card", 1], ["why", "change", 1]]


def test_shards_merge_to_the_same_counts() -> None:
    rows = _rows()
    whole = label_sets.observe(rows)
    merged = label_sets.observe(rows[:2])
    merged.merge(label_sets.observe(rows[2:]))
    assert label_sets.summary(merged, SCHEMA) == label_sets.summary(whole, SCHEMA)


def test_labels_held_by_too_few_rows_are_rare_and_absent_ones_are_left_to_balance() -> None:
    found = label_sets.rare_labels(label_sets.observe(_rows()), (*SCHEMA, "loan"), 2, "d.json")
    assert [f.code for f in found] == ["rare_label", "rare_label"]
    assert [f.message.split("'")[1] for f in found] == ["change", "pin"]
    assert found[0].message.startswith("label 'change' is held by 1 row(s), under quality.min_label_rows (2)")


def test_rows_without_a_label_set_are_not_counted() -> None:
    plain = [CheckedRow(0, Example(build_messages("x", "card", None), "card", "d.csv:2"), "d.csv", 2)]
    assert label_sets.observe(plain).rows == 0
