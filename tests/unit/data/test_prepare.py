from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import banking_rows, write_csv
from tuneloop.data.example import Example, build_messages
from tuneloop.data.prepare import hold_out_general, prepare_dataset
from tuneloop.spec import load_spec
from tuneloop.train.mixture import draw_rows


def test_stratified_fractions_of_the_sources(make_project: Callable[..., Path], tmp_path: Path) -> None:
    spec = load_spec(make_project(rows=200, labels=4))
    version = prepare_dataset(spec, tmp_path / "v")
    # 15% of 200 rows is 30 each, not 4 x round(7.5) = 32: two labels give 8 rows to test and 7
    # to validation, the other two 7 and 8, so each keeps 35 in train
    assert version.manifest["counts"]["splits"] == {
        "train": 140,
        "validation": 30,
        "test": 30,
        "unlabeled": 0,
        "general": 0,
    }
    assert all(n == 35 for n in version.manifest["label_counts"]["train"].values())


def test_explicit_validation_and_test_files(make_project: Callable[..., Path], tmp_path: Path) -> None:
    rows = banking_rows(260, labels=4)
    project = make_project(rows=200, labels=4)
    write_csv(project / "data" / "val.csv", rows[200:230])
    write_csv(project / "data" / "test.csv", [*rows[230:260], {"text": "x", "category": "nope"}])
    fields = "      fields: {text: text, label: category}\n"
    spec_path = project / "tuneloop.yaml"
    text = spec_path.read_text()
    start = text.index("splits:")
    end = text.index("\n", text.index("test:", start))
    spec_path.write_text(
        text[:start]
        + "splits:\n  files:\n    validation:\n      path: data/val.csv\n"
        + fields
        + "    test:\n      path: data/test.csv\n"
        + fields.rstrip("\n")
        + text[end:]
    )
    version = prepare_dataset(load_spec(project), tmp_path / "v")
    counts = version.manifest["counts"]
    assert counts["splits"] == {"train": 200, "validation": 30, "test": 30, "unlabeled": 0, "general": 0}
    assert counts["read"] == 261 and counts["quarantined"] == 1
    assert version.manifest["findings"][0]["file"] == "data/test.csv"
    assert {e.source.split(":")[0] for e in version.split("validation")} == {"data/val.csv"}


def test_unlabeled_text_gets_its_own_part_and_feeds_causal_lm(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = make_project(rows=40, labels=2)
    (project / "data" / "domain.jsonl").write_text(
        '{"body": "Top-ups by bank transfer take a day."}\n{"body": ""}\n{"body": "Cards ship in a week."}\n'
    )
    spec_path = project / "tuneloop.yaml"
    spec_path.write_text(
        spec_path.read_text().replace(
            "data:\n", "data:\n  unlabeled:\n  - path: data/domain.jsonl\n    fields: {text: body}\n", 1
        )
    )
    spec = load_spec(project)
    version = prepare_dataset(spec, tmp_path / "v")
    counts = version.manifest["counts"]
    assert counts["splits"]["unlabeled"] == 2 and counts["quarantined"] == 1 and counts["read"] == 43
    unlabeled = version.split("unlabeled")
    assert [e.label for e in unlabeled] == [None, None]
    parts = {"train": version.split("train"), "unlabeled": unlabeled}
    rows = draw_rows(spec.phases[0], parts, seed=0)[0]
    assert [r.example.text for r in rows[-2:]] == [
        "Top-ups by bank transfer take a day.",
        "Cards ship in a week.",
    ]
    assert all(r.as_text for r in rows)
    sft_rows = draw_rows(spec.phases[1].model_copy(update={"mix": None}), parts, seed=0)[0]
    assert len(sft_rows) == len(parts["train"]) and not any(r.as_text for r in sft_rows)  # labelled only


def test_a_tenth_of_the_unlabeled_text_at_most_is_held_out_as_the_general_set() -> None:
    texts = [Example(build_messages(f"text {i}", None, None), None, f"u.jsonl:{i}") for i in range(50)]
    texts.append(texts[0])  # a copy stays on the side of its original
    kept, held = hold_out_general(texts, rows=200, seed=0)
    assert len(held) == 5 and len(kept) == 46
    assert {e.id for e in kept}.isdisjoint({e.id for e in held})
    assert hold_out_general(texts, rows=2, seed=0)[1] == hold_out_general(texts, rows=2, seed=0)[1]
    assert len(hold_out_general(texts, rows=2, seed=0)[1]) == 2


def test_prepare_prints_the_split_sizes_beside_the_fractions_asked(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    from rich.console import Console

    from tuneloop.data.run import prepare

    console = Console(record=True, width=300)
    prepare(load_spec(make_project(rows=200, labels=4)), tmp_path / "run", console)
    line = console.export_text()
    assert "→ train 140 / validation 30 (15.0%, asked 15%) / test 30 (15.0%, asked 15%)" in line, line
