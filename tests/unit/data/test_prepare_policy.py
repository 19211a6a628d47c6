from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.conftest import banking_rows, write_csv
from tuneloop.data.prepare import prepare_dataset
from tuneloop.data.prepare_policy import data_gate
from tuneloop.errors import CheckFailed
from tuneloop.spec import QualitySpec, load_spec


def _project(make_project: Callable[..., Path]) -> Path:
    """120 real rows plus a copy, a near copy, two rows with personal data and two broken rows."""
    project = make_project(rows=120, labels=3)
    rows = banking_rows(120, labels=3)
    label = rows[0]["category"]
    waiting = "My card has not arrived yet, it has been two whole weeks since I ordered it"
    extra = [
        {"text": rows[0]["text"].upper(), "category": label},  # a copy after normalising case
        {"text": waiting, "category": label},
        {"text": f"{waiting}!!", "category": label},  # the same after normalising punctuation
        {"text": "Please write to me at jane.roe@example.org about my card", "category": label},
        {"text": "The\u200b new card   never came", "category": label},
        {"text": "", "category": label},
        {"text": "broken label", "category": "not_a_label"},
    ]
    write_csv(project / "data" / "train.csv", rows + extra)
    return project


def _with_quality(project: Path, **quality: object) -> None:
    path = project / "tuneloop.yaml"
    path.write_text(path.read_text() + "quality: " + orjson.dumps(quality).decode() + "\n")


def test_prepare_applies_the_policy_and_every_removed_row_has_its_reason(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = _project(make_project)
    _with_quality(project, pii="redact")
    version = prepare_dataset(load_spec(project), tmp_path / "v")
    manifest = version.manifest
    counts = manifest["counts"]
    assert counts["read"] == 127 == counts["kept"] + counts["quarantined"]
    actions = manifest["actions"]
    assert actions["quarantined_by_ingest"] == 2 and actions["redacted"] == {"email": 1}
    assert actions.get("duplicate", 0) + actions.get("leakage", 0) >= 1 and actions["normalised"] >= 1
    removed = actions.get("duplicate", 0) + actions.get("leakage", 0) + actions.get("near_duplicate", 0)
    removed += actions.get("near_leakage", 0)
    assert counts["quarantined"] == 2 + removed
    quarantine = [
        orjson.loads(line) for line in (version.path / "quarantine.jsonl").read_bytes().splitlines()
    ]
    assert len(quarantine) == counts["quarantined"] and all(q["code"] and q["raw"] for q in quarantine)
    assert all(q["message"].startswith("removed by prepare:") for q in quarantine[2:])
    texts = [e.text for part in ("train", "validation", "test") for e in version.split(part)]
    assert "Please write to me at [EMAIL] about my card" in texts
    assert "The new card never came" in texts
    assert any(f["code"] == "pii_email" for f in manifest["findings"])


def test_report_and_no_drops_keep_every_usable_row(make_project: Callable[..., Path], tmp_path: Path) -> None:
    project = _project(make_project)
    _with_quality(project, drop_duplicates=False, drop_leaked=False, normalise=False)
    version = prepare_dataset(load_spec(project), tmp_path / "v")
    assert version.manifest["counts"]["quarantined"] == 2
    texts = [e.text for part in ("train", "validation", "test") for e in version.split(part)]
    assert "Please write to me at jane.roe@example.org about my card" in texts


def test_cap_and_class_weights(make_project: Callable[..., Path], tmp_path: Path) -> None:
    project = make_project(rows=90, labels=3)
    _with_quality(project, rebalance="cap", cap_per_label=10)
    version = prepare_dataset(load_spec(project), tmp_path / "cap")
    assert set(version.manifest["label_counts"]["train"].values()) == {10}
    assert version.manifest["actions"]["rebalance_cap"] == version.manifest["counts"]["quarantined"]
    spec = load_spec(project)
    spec = spec.model_copy(update={"quality": QualitySpec(rebalance="class_weights")})
    weights = prepare_dataset(spec, tmp_path / "w").manifest["class_weights"]
    assert len(weights) == 3 and all(w == pytest.approx(1.0, abs=0.1) for w in weights.values())


def test_the_training_gate_refuses_too_many_errors_unless_overridden(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = _project(make_project)
    spec = load_spec(project)
    version = prepare_dataset(spec, tmp_path / "v")
    assert data_gate(spec, version).passed is True  # 2 of 127 rows: under 5%
    strict = spec.model_copy(update={"quality": QualitySpec(max_error_rate=0.01)})
    with pytest.raises(CheckFailed, match=r"2 of the 127 rows read have errors \(1.6%\).*quality.override"):
        data_gate(strict, version)
    forgiven = spec.model_copy(
        update={"quality": QualitySpec(max_error_rate=0.01, override="labels fixed upstream")}
    )
    assert data_gate(forgiven, version).to_dict() == {
        "errors": 2,
        "read": 127,
        "error_rate": 0.0157,
        "max_error_rate": 0.01,
        "passed": False,
        "override": "labels fixed upstream",
    }


def test_upsample_brings_every_label_to_the_largest_with_seeded_copies(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = make_project(rows=90, labels=3)
    rows = banking_rows(90, labels=3)
    small = rows[0]["category"]
    write_csv(project / "data" / "train.csv", [r for r in rows if r["category"] != small] + [
        r for r in rows if r["category"] == small
    ][:12])  # fmt: skip
    _with_quality(project, rebalance="upsample")
    version = prepare_dataset(load_spec(project), tmp_path / "up")
    counts = version.manifest["label_counts"]["train"]
    assert len(set(counts.values())) == 1  # every label now has as many training rows as the largest
    added = version.manifest["actions"]["rebalance_upsampled"]
    assert list(added) == [small] and added[small] > 0
    assert version.manifest["counts"]["quarantined"] == 0  # nothing removed, only copies added
    again = prepare_dataset(load_spec(project), tmp_path / "again")
    assert [e.id for e in again.split("train")] == [e.id for e in version.split("train")]  # seeded
    counted = version.manifest["counts"]
    assert counted["upsampled_copies"] == added[small]
    assert counted["kept"] + counted["upsampled_copies"] == sum(counted["splits"].values())
    assert counted["kept"] + counted["quarantined"] == counted["read"]  # the accounting still closes
