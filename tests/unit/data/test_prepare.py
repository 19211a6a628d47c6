from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import banking_rows, write_csv
from tuneloop.data.prepare import prepare_dataset
from tuneloop.spec import load_spec


def test_stratified_fractions_of_the_sources(make_project: Callable[..., Path], tmp_path: Path) -> None:
    spec = load_spec(make_project(rows=200, labels=4))
    version = prepare_dataset(spec, tmp_path / "v")
    # 50 rows per label: round(7.5) = 8 to validation and to test, 34 to train
    assert version.manifest["counts"]["splits"] == {
        "train": 136,
        "validation": 32,
        "test": 32,
        "unlabeled": 0,
    }
    assert all(n == 34 for n in version.manifest["label_counts"]["train"].values())


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
    assert counts["splits"] == {"train": 200, "validation": 30, "test": 30, "unlabeled": 0}
    assert counts["read"] == 261 and counts["quarantined"] == 1
    assert version.manifest["findings"][0]["file"] == "data/test.csv"
    assert {e.source.split(":")[0] for e in version.split("validation")} == {"data/val.csv"}
