from __future__ import annotations

from collections import Counter

from tuneloop.data.example import Example, build_messages
from tuneloop.data.split import stratified_split


def _examples(counts: dict[str, int]) -> list[Example]:
    return [
        Example(build_messages(f"{label} text {i}", label, None), label, f"d.csv:{i}")
        for label, n in counts.items()
        for i in range(n)
    ]


def test_each_label_is_split_in_proportion() -> None:
    splits = stratified_split(_examples({"a": 100, "b": 40, "c": 10}), validation=0.1, test=0.2, seed=0)
    assert {k: Counter(e.label for e in v) for k, v in splits.items()} == {
        "train": Counter({"a": 70, "b": 28, "c": 7}),
        "validation": Counter({"a": 10, "b": 4, "c": 1}),
        "test": Counter({"a": 20, "b": 8, "c": 2}),
    }


def test_no_example_is_lost_or_duplicated() -> None:
    examples = _examples({"a": 33, "b": 17})
    splits = stratified_split(examples, 0.1, 0.1, seed=3)
    ids = [e.id for rows in splits.values() for e in rows]
    assert sorted(ids) == sorted(e.id for e in examples)


def test_same_seed_same_split_other_seed_other_split() -> None:
    examples = _examples({"a": 50, "b": 50})
    one, two = stratified_split(examples, 0.1, 0.1, seed=1), stratified_split(examples, 0.1, 0.1, seed=1)
    other = stratified_split(examples, 0.1, 0.1, seed=2)
    assert [e.id for e in one["test"]] == [e.id for e in two["test"]]
    assert {e.id for e in one["test"]} != {e.id for e in other["test"]}


def test_a_label_too_rare_to_split_stays_in_train() -> None:
    splits = stratified_split(_examples({"a": 40, "rare": 2}), 0.2, 0.2, seed=0)
    assert Counter(e.label for e in splits["train"]) == {"a": 24, "rare": 2}
    assert [e.label for e in splits["test"] + splits["validation"]] == ["a"] * 16


def test_copies_of_an_example_stay_in_one_split() -> None:
    examples = _examples({"a": 30, "b": 30})
    copies = [Example(e.messages, e.label, "copy.csv:1") for e in examples[:10]]
    splits = stratified_split(examples + copies, 0.2, 0.2, seed=0)
    where = {name: {e.id for e in rows} for name, rows in splits.items()}
    assert not (where["train"] & where["test"]) and not (where["train"] & where["validation"])
    assert sum(len(rows) for rows in splits.values()) == 70


def test_free_text_answers_are_split_at_random_not_per_answer() -> None:
    examples = [
        Example(build_messages(f"q{i}", f"answer {i}", None), f"answer {i}", "d:1") for i in range(100)
    ]
    splits = stratified_split(examples, 0.1, 0.2, seed=0, stratify=False)
    assert {k: len(v) for k, v in splits.items()} == {"train": 70, "validation": 10, "test": 20}
