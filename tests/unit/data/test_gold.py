"""Gold labels applied to a round's rows: overridden, added or unchanged, with provenance, and a
held-out row is corrected where it is, never moved between splits."""

from __future__ import annotations

from pathlib import Path

import orjson

from tuneloop.data.example import Example, build_messages
from tuneloop.data.gold import PROVENANCE, GoldLabel, GoldLabels, apply_gold
from tuneloop.data.prepare import prepare_dataset
from tuneloop.data.version import DatasetVersion
from tuneloop.label_text import canonical_answer
from tuneloop.spec import load_spec


def _row(text: str, label: str, labels: tuple[str, ...] | None = None) -> Example:
    return Example(build_messages(text, label, None), label, "t.csv:1", labels=labels)


def _gold(*labels: GoldLabel, withheld: dict[str, int] | None = None) -> GoldLabels:
    return GoldLabels(list(labels), withheld or {}, True)


def test_a_gold_label_overrides_adds_or_leaves_rows_and_says_who_decided() -> None:
    parts = {
        "train": [_row("lost my card", "card_arrival"), _row("where is it", "card_arrival")],
        "validation": [],
        "test": [_row("rate today?", "card_lost")],
    }
    gold = _gold(
        GoldLabel(1, "lost my card", "card_lost", "adjudicated", ("ada",), (2,)),
        GoldLabel(2, "where is it", "card_arrival", "agreed", ("bo", "cy"), (1,)),
        GoldLabel(3, "rate today?", "exchange_rate", "agreed", ("bo", "cy"), (1,)),
        GoldLabel(4, "new text", "exchange_rate", "adjudicated", ("ada",), (2,)),
    )
    applied = apply_gold(parts, gold, "be brief")
    train, test = applied.parts["train"], applied.parts["test"]
    assert [e.label for e in train] == ["card_lost", "card_arrival", "exchange_rate"]
    assert train[0].answer == "card_lost" and train[0].id != parts["train"][0].id  # a new content id
    assert train[1] is parts["train"][1]  # unchanged row: the same example
    assert train[2].messages[0] == {"role": "system", "content": "be brief"} and train[2].text == "new text"
    assert [e.label for e in test] == ["exchange_rate"] and len(test) == 1  # corrected, still a test row
    summary = applied.summary()
    assert (summary["overridden"], summary["added"], summary["unchanged"]) == (2, 1, 1)
    assert summary["by_kind"] == {
        "adjudicated": {"overridden": 1, "added": 1},
        "agreed": {"unchanged": 1, "overridden": 1},
    }
    assert summary["by_part"] == {"train": 2, "test": 1}
    first = applied.provenance[0]
    assert first == {
        "id": train[0].id,
        "part": "train",
        "item": 1,
        "change": "overridden",
        "source_label": "card_arrival",
        "label": "card_lost",
        "decided_by": "adjudicated",
        "by": ["ada"],
        "guideline_versions": [2],
    }


def test_a_label_set_replaces_the_rows_set_and_its_canonical_answer() -> None:
    parts = {"train": [_row("a", canonical_answer(("x",)), ("x",))], "validation": [], "test": []}
    applied = apply_gold(parts, _gold(GoldLabel(1, "a", ("x", "y"), "agreed", ("bo", "cy"), (1,))), None)
    row = applied.parts["train"][0]
    assert row.labels == ("x", "y") and row.label == canonical_answer(("x", "y")) == row.answer
    added = apply_gold(parts, _gold(GoldLabel(2, "b", ("y",), "adjudicated", ("ada",), (1,))), None)
    assert added.parts["train"][1].labels == ("y",) and added.summary()["added"] == 1


def test_prepare_applies_gold_before_the_policy_and_never_moves_a_row(tmp_path: Path, make_project) -> None:
    spec = load_spec(make_project(rows=60, labels=3))
    plain = prepare_dataset(spec, tmp_path / "plain")
    test_row = plain.split("test")[0]
    other = next(name for name in spec.label_names if name != test_row.label)
    gold = _gold(
        GoldLabel(1, test_row.text, other, "adjudicated", ("ada",), (1,)),
        GoldLabel(
            2, plain.split("validation")[0].text.replace(" ", "  "), other, "adjudicated", ("ada",), (1,)
        ),
        GoldLabel(3, "a text no source holds", other, "adjudicated", ("ada",), (1,)),
        GoldLabel(
            4, f"{test_row.text.upper()}!", other, "adjudicated", ("ada",), (1,)
        ),  # a test input, shouted
        withheld={"tied": 2},
    )
    version = prepare_dataset(spec, tmp_path / "gold", gold)
    texts = {part: [e.text for e in version.split(part)] for part in ("train", "validation", "test")}
    before = {part: [e.text for e in plain.split(part)] for part in ("train", "validation", "test")}
    assert texts["test"] == before["test"] and texts["validation"] == before["validation"]
    assert version.split("test")[0].label == other
    assert version.split("validation")[0].label == other  # matched as people saw it: spaces normalised
    assert "a text no source holds" in texts["train"]
    quarantined = [
        orjson.loads(line) for line in (tmp_path / "gold" / "quarantine.jsonl").read_bytes().splitlines()
    ]
    assert [(q["code"], q["file"]) for q in quarantined] == [
        ("leakage", "annotation:item 4")
    ]  # never trained
    assert f"{test_row.text.upper()}!" not in texts["train"]
    counts = version.manifest["counts"]
    assert counts["kept"] + counts["quarantined"] == counts["read"] == plain.manifest["counts"]["read"] + 2
    assert version.manifest["gold"]["by_part"] == {"test": 1, "validation": 1, "train": 2}
    assert version.manifest["gold"]["withheld"] == {"tied": 2}
    lines = (tmp_path / "gold" / PROVENANCE).read_bytes().splitlines()
    assert [orjson.loads(line)["item"] for line in lines] == [2, 1, 3, 4]
    assert DatasetVersion.load(tmp_path / "gold").hash != plain.hash
    assert not (tmp_path / "plain" / PROVENANCE).exists() and "gold" not in plain.manifest


def test_a_text_decided_twice_with_different_labels_is_withheld() -> None:
    """Two items of one input (routed from run-001 and run-002) decided apart: neither wins."""
    parts = {"train": [_row("lost my card", "card_arrival")], "validation": [], "test": []}
    gold = _gold(
        GoldLabel(1, "lost my card", "card_lost", "agreed", ("bo", "cy"), (1,)),
        GoldLabel(2, " lost my  card", "card_arrival", "agreed", ("ada", "di"), (1,)),
        GoldLabel(3, "new text", "exchange_rate", "agreed", ("bo", "cy"), (1,)),
        GoldLabel(4, "new text", "exchange_rate", "agreed", ("ada", "di"), (1,)),  # agreeing: kept
    )
    applied = apply_gold(parts, gold, None)
    assert [e.label for e in applied.parts["train"]] == ["card_arrival", "exchange_rate"]
    assert applied.summary()["withheld"] == {"conflicting_texts": 1} and applied.summary()["added"] == 1
