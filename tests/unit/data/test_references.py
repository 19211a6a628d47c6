"""Several references per input: grouping, the split that keeps an input whole, and training rows."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from tuneloop.data.example import Example, build_messages
from tuneloop.data.prepare import prepare_dataset
from tuneloop.data.references import group_references
from tuneloop.data.version import DatasetVersion
from tuneloop.spec import load_spec
from tuneloop.train.mixture import draw_rows


def _row(text: str, answer: str, line: int) -> Example:
    return Example(build_messages(text, answer, "Describe."), answer, f"d.csv:{line}")


def test_rows_that_share_an_input_become_one_example_with_every_reference() -> None:
    rows = [
        _row("name[A], area[x]", "A is in x.", 2),
        _row("name[B]", "B.", 3),
        _row("name[A],  area[x]", "In x there is A.", 4),  # the same input, spaced differently
        _row("name[A], area[x]", "A is in x.", 5),  # a repeat of line 2
    ]
    grouped, repeated = group_references(rows)
    assert [e.references for e in grouped] == [("A is in x.", "In x there is A."), ("B.",)]
    assert grouped[0].source == "d.csv:2" and grouped[0].answer == "A is in x."
    assert [q.finding.line for q in repeated] == [5] and repeated[0].finding.code == "repeated_reference"
    assert grouped[0].id != rows[0].id  # the references are part of the content
    assert sum(e.rows for e in grouped) + len(repeated) == len(rows)


def test_each_reference_trains_as_its_own_row_and_round_trips() -> None:
    example = group_references([_row("name[A]", "One.", 2), _row("name[A]", "Two.", 3)])[0][0]
    assert [(e.answer, e.label, e.references) for e in example.reference_rows()] == [
        ("One.", "One.", None),
        ("Two.", "Two.", None),
    ]
    assert Example.from_row(example.to_row()) == example


def _e2e_project(make_project: Callable[..., Path], inputs: int, refs: int) -> Path:
    project = make_project(
        objective={"name": "describe", "task": "generate"},
        evaluation={},
        rows=40,
        labels=2,
        data={"sources": [{"path": "data/mr.csv", "fields": {"text": "mr", "label": "ref"}}]},
    )
    with (project / "data" / "mr.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["mr", "ref"])
        for k in range(refs):  # references of one input far apart in the file
            for i in range(inputs):
                writer.writerow([f"name[Place {i}], area[riverside]", f"Place {i} is by the river ({k})."])
    return project


def test_the_split_keeps_all_rows_of_one_input_together(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    spec = load_spec(_e2e_project(make_project, inputs=40, refs=5))
    version = prepare_dataset(spec, tmp_path / "v")
    counts = version.manifest["counts"]
    assert counts["read"] == 200 and counts["kept"] == 200 and counts["quarantined"] == 0
    assert sum(counts["splits"].values()) == 40  # one example per input
    seen: dict[str, str] = {}
    for name in ("train", "validation", "test"):
        for example in version.split(name):
            assert example.text not in seen, f"{example.text} in {seen.get(example.text)} and {name}"
            seen[example.text] = name
            assert example.references is not None and len(example.references) == 5
    assert not [f for f in version.manifest["findings"] if f["code"] in ("leakage", "label_conflict")]
    again = DatasetVersion.load(version.path).split("train")
    rows = draw_rows(spec.phases[1].model_copy(update={"mix": None}), {"train": again}, seed=0)[0]
    assert len(rows) == 5 * len(again)  # every reference trains
    assert len({r.example.answer for r in rows}) == len(rows)
