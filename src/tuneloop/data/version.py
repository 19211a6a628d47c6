"""DatasetVersion: the split examples on disk, with a manifest that fixes their content hash.

Layout of a version directory:
    train.parquet, validation.parquet, test.parquet   the canonical examples
    unlabeled.parquet                                 domain text without answers (may be empty)
    general.parquet                                   unlabeled text held out to measure forgetting
    quarantine.jsonl                                  every row that was not used, with its reason
    manifest.json                                     hash, counts, label counts and findings
                                                      (a multilabel row counts for each of its labels)

Training and evaluation read only this directory, so a model can always be traced to its data.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from tuneloop.data.example import Example
from tuneloop.data.findings import Finding, QuarantinedRow, summarize, write_quarantine
from tuneloop.data.split import SPLITS
from tuneloop.errors import TuneloopError

PARTS = (*SPLITS, "unlabeled", "general")
MANIFEST = "manifest.json"
QUARANTINE = "quarantine.jsonl"
# A tool call as `Example` holds it; `tools` (JSON Schemas of any shape) is stored as JSON text.
# Files written before tool calls, weights and tools existed lack those fields and read the same.
_TOOL_CALL = pa.struct(
    [
        ("id", pa.string()),
        ("type", pa.string()),
        ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())])),
    ]
)
_MESSAGE = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("tool_calls", pa.list_(_TOOL_CALL)),
        ("tool_call_id", pa.string()),
        ("weight", pa.int8()),
    ]
)
_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("messages", pa.list_(_MESSAGE)),
        ("label", pa.string()),
        ("slices", pa.map_(pa.string(), pa.string())),
        ("source", pa.string()),
        ("tools", pa.string()),
        ("labels", pa.list_(pa.string())),
        ("references", pa.list_(pa.string())),
    ]
)


@dataclass(frozen=True)
class DatasetVersion:
    path: Path
    manifest: dict[str, Any]

    @property
    def hash(self) -> str:
        return str(self.manifest["hash"])

    def split(self, name: str) -> list[Example]:
        if name not in PARTS:
            raise TuneloopError(f"unknown split {name!r}; expected one of {', '.join(PARTS)}")
        table = pq.read_table(self.path / f"{name}.parquet")
        return [Example.from_row(row) for row in table.to_pylist()]

    @classmethod
    def load(cls, path: Path) -> DatasetVersion:
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise TuneloopError(f"{path}: not a dataset version (no {MANIFEST})")
        return cls(path, orjson.loads(manifest_path.read_bytes()))


def write_dataset_version(
    splits: dict[str, list[Example]],
    quarantined: list[QuarantinedRow],
    read: int,
    path: Path,
    findings: list[Finding] | None = None,
    extra: dict[str, Any] | None = None,
    copies: int = 0,
) -> DatasetVersion:
    """`findings`: the whole findings table (by default the quarantine's); `extra`: more manifest
    keys (the quality policy's `actions`, `class_weights`); `copies`: rows the policy added as
    copies of read rows (`rebalance: upsample`), counted apart so the accounting still closes."""
    kept = sum(e.rows for rows in splits.values() for e in rows) - copies  # a grouped input: its rows
    if kept + len(quarantined) != read:  # the invariant every later stage relies on
        raise AssertionError(
            f"row accounting broken: kept {kept} + quarantined {len(quarantined)} != read {read}"
        )
    path.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    splits = {name: splits.get(name, []) for name in PARTS}
    for name in PARTS:
        rows = [e.to_row() for e in splits[name]]
        pq.write_table(pa.Table.from_pylist(rows, schema=_SCHEMA), path / f"{name}.parquet")
        digest.update(name.encode() + b"\0" + "\n".join(e.id for e in splits[name]).encode() + b"\0")
    write_quarantine(quarantined, path / QUARANTINE)
    if findings is None:
        findings = [q.finding for q in quarantined]
    manifest = {
        "hash": digest.hexdigest()[:16],
        "counts": {
            "read": read,
            "kept": kept,
            "quarantined": len(quarantined),
            **({"upsampled_copies": copies} if copies else {}),
            "splits": {name: len(splits[name]) for name in PARTS},
        },
        "label_counts": {name: label_counts(splits[name]) for name in SPLITS},
        "findings_summary": summarize(findings),
        "findings": [f.to_dict() for f in findings],
        **(extra or {}),
    }
    (path / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return DatasetVersion(path, manifest)


def label_counts(examples: list[Example]) -> dict[str | None, int]:
    """Rows per label, most first: a multilabel row counts for each label it holds."""
    counts = Counter(name for e in examples for name in (e.labels if e.labels is not None else (e.label,)))
    return dict(counts.most_common())
