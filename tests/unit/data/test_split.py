from __future__ import annotations

from collections import Counter

from tuneloop.data.example import Example, build_messages
from tuneloop.data.split import TOO_RARE, allocate, stratified_split


def _examples(counts: dict[str, int]) -> list[Example]:
    return [
        Example(build_messages(f"{label} text {i}", label, None), label, f"d.csv:{i}")
        for label, n in counts.items()
        for i in range(n)
    ]


def test_each_label_is_split_in_proportion() -> None:
    splits = stratified_split(_examples({"a": 100, "b": 40, "c": 10}), validation=0.1, test=0.2, seed=0).parts
    assert {k: Counter(e.label for e in v) for k, v in splits.items()} == {
        "train": Counter({"a": 70, "b": 28, "c": 7}),
        "validation": Counter({"a": 10, "b": 4, "c": 1}),
        "test": Counter({"a": 20, "b": 8, "c": 2}),
    }


def test_no_example_is_lost_or_duplicated() -> None:
    examples = _examples({"a": 33, "b": 17})
    splits = stratified_split(examples, 0.1, 0.1, seed=3).parts
    ids = [e.id for rows in splits.values() for e in rows]
    assert sorted(ids) == sorted(e.id for e in examples)


def test_same_seed_same_split_other_seed_other_split() -> None:
    examples = _examples({"a": 50, "b": 50})
    one, two = (
        stratified_split(examples, 0.1, 0.1, seed=1).parts,
        stratified_split(examples, 0.1, 0.1, seed=1).parts,
    )
    other = stratified_split(examples, 0.1, 0.1, seed=2).parts
    assert [e.id for e in one["test"]] == [e.id for e in two["test"]]
    assert {e.id for e in one["test"]} != {e.id for e in other["test"]}


def test_a_label_too_rare_to_split_stays_in_train_and_says_so() -> None:
    split = stratified_split(_examples({"a": 40, "rare": 2}), 0.2, 0.2, seed=0)
    splits = split.parts
    assert Counter(e.label for e in splits["train"]) == {"a": 24, "rare": 2}
    assert [e.label for e in splits["test"] + splits["validation"]] == ["a"] * 16
    [finding] = split.findings
    assert (finding.code, finding.severity, finding.file, finding.line) == (
        TOO_RARE,
        "warning",
        "d.csv",
        None,
    )
    assert "label 'rare' has 2 row(s)" in finding.message and "kept in train" in finding.message


def test_the_held_out_splits_get_the_share_asked_of_all_rows() -> None:
    """1,009 rows: one large label and many of three rows each, whose own 15% rounds to none."""
    split = stratified_split(
        _examples({"big": 409} | {f"small{i}": 3 for i in range(200)}), 0.15, 0.15, seed=0
    )
    sizes = {name: len(rows) for name, rows in split.parts.items()}
    assert sizes == {"train": 707, "validation": 151, "test": 151}  # round(1,009 x 0.15) each
    big = {name: sum(e.label == "big" for e in rows) for name, rows in split.parts.items()}
    assert big["test"] == big["validation"] == 61  # the large label keeps its own share
    held_out = {e.label for name in ("validation", "test") for e in split.parts[name]}
    assert len(held_out) == 181  # a row of validation and one of test each go to other small labels
    assert {f.message.split("'")[1] for f in split.findings} == {f"small{i}" for i in range(200)} - held_out
    assert all(sum(e.label == label for e in split.parts["train"]) >= 1 for label in held_out)


def test_largest_remainders_deal_the_rows_left_and_respect_the_room() -> None:
    sizes = {"a": 5, "b": 3, "c": 2}  # quotas 2.5, 1.5, 1.0 of 5
    assert allocate(sizes, 5, {"a": 4, "b": 2, "c": 1}) == {"a": 3, "b": 1, "c": 1}
    assert allocate(sizes, 5, {"a": 1, "b": 2, "c": 1}) == {"a": 1, "b": 2, "c": 1}  # the room caps
    assert allocate(sizes, 4, {"a": 0, "b": 0, "c": 0}) == {"a": 0, "b": 0, "c": 0}


def test_copies_of_an_example_stay_in_one_split() -> None:
    examples = _examples({"a": 30, "b": 30})
    copies = [Example(e.messages, e.label, "copy.csv:1") for e in examples[:10]]
    splits = stratified_split(examples + copies, 0.2, 0.2, seed=0).parts
    where = {name: {e.id for e in rows} for name, rows in splits.items()}
    assert not (where["train"] & where["test"]) and not (where["train"] & where["validation"])
    assert sum(len(rows) for rows in splits.values()) == 70


def test_free_text_answers_are_split_at_random_not_per_answer() -> None:
    examples = [
        Example(build_messages(f"q{i}", f"answer {i}", None), f"answer {i}", "d:1") for i in range(100)
    ]
    split = stratified_split(examples, 0.1, 0.2, seed=0, stratify=False)
    splits = split.parts
    assert {k: len(v) for k, v in splits.items()} == {"train": 70, "validation": 10, "test": 20}
    assert split.findings == []
