"""Preparing the NLU++ banking example: label sets survive the Parquet round trip, validation is an
iteratively stratified share of the training file, the test file is its own, and the manifest and
the report count rows per label and draw the co-occurrence."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tuneloop.data.prepare import prepare_dataset
from tuneloop.data.version import QUARANTINE, DatasetVersion
from tuneloop.report.html import build_report
from tuneloop.run_dir import new_run_dir, update_record
from tuneloop.spec import load_spec

NLUPP = Path(__file__).resolve().parents[3] / "examples" / "nlupp-banking"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DatasetVersion]:
    project = Path(shutil.copytree(NLUPP, tmp_path_factory.mktemp("ml") / "nlupp"))
    spec = load_spec(project)
    run_dir = new_run_dir(spec.output_path, spec.path)
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"), status="preparing data")
    return run_dir, prepare_dataset(spec, run_dir / "data")


def test_the_sets_are_kept_and_the_test_file_stays_whole(prepared: tuple[Path, DatasetVersion]) -> None:
    _, version = prepared
    counts = version.manifest["counts"]
    quarantined = [json.loads(line) for line in (version.path / QUARANTINE).read_text().splitlines()]
    assert counts["read"] == 2071 and counts["quarantined"] == len(quarantined)
    # the one test row listing a label twice, and copies of other rows: nothing else is set aside
    assert [(q["file"], q["line"]) for q in quarantined if q["code"] == "duplicate_label"] == [
        ("data/test.json", 384)
    ]
    assert {q["code"] for q in quarantined} <= {
        "duplicate_label",
        "duplicate",
        "near_duplicate",
        "leakage",
        "near_leakage",
    }
    from_train = sum(q["file"] == "data/train.json" for q in quarantined)
    assert counts["splits"]["train"] + counts["splits"]["validation"] == 1039 - from_train
    assert counts["splits"]["test"] == 1032 - (len(quarantined) - from_train)
    # iterative stratification fills label by label, so the share is near the asked one, not exact
    assert abs(counts["splits"]["validation"] / (1039 - from_train) - 0.15) <= 0.01
    train = version.split("train")
    assert all(e.labels is not None for e in train)
    assert all(e.label == (", ".join(e.labels or ()) or "none") for e in train)
    assert {e.source.split(":")[0] for e in version.split("test")} == {"data/test.json"}


def test_validation_holds_each_common_label_in_proportion(prepared: tuple[Path, DatasetVersion]) -> None:
    _, version = prepared
    train, validation = (
        Counter(label for e in version.split(name) for label in e.labels or ())
        for name in ("train", "validation")
    )
    for label in (label for label, n in (train + validation).items() if n >= 40):
        share = validation[label] / (train[label] + validation[label])
        assert abs(share - 0.15) <= 0.03, (label, share)
    manifest_counts = version.manifest["label_counts"]["validation"]
    assert manifest_counts == dict(validation.most_common())  # per label, not per set


def test_the_report_draws_the_cooccurrence(prepared: tuple[Path, DatasetVersion]) -> None:
    run_dir, version = prepared
    html = build_report(run_dir).read_text()
    section = html[html.index("<h2>Data quality</h2>") :]
    assert re.search(r'<img alt="label co-occurrence: [^"]*" src="data:image/png;base64,\w', section)
    sets = version.manifest["quality"]["label_sets"]
    assert f"{sets['rows']} rows as checked hold {sets['mean_labels']} labels on average" in section
