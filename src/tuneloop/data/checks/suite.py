"""The data-quality suite: stream the rows in shards, run every check, join the results.

    rows ─▶ shards of SHARD_ROWS ─▶ scan_shard (per-row checks + index columns) ─▶ driver
                                                                         │
      duplicates, conflicting labels, leakage, near duplicates, balance ◀┘ (the shared RowIndex)
      relevance: a second pass with a TF-IDF model fitted on the first rows

`scan_shard` is a plain function of one shard and the settings, so it runs the same in this
process or on Ray Data (`engine="ray"`). Per-row checks keep nothing between shards; the row
index (fixed-width numbers per row, no text) is the only thing that grows with the data.

Every row read is counted once, as kept or as quarantined by ingest, so `read = kept + quarantined`.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tuneloop.data.checks import balance, duplicates, hygiene, length, pii, relevance
from tuneloop.data.checks.base import CheckedRow, CheckResult, merged
from tuneloop.data.checks.index import SPLIT_CODES, IndexPart, RowIndex, text_hashes
from tuneloop.data.checks.settings import CheckSettings
from tuneloop.data.example import Example
from tuneloop.data.findings import Finding, QuarantinedRow, summarize
from tuneloop.data.ingest import iter_source
from tuneloop.data.minhash import MinHasher, band_keys_of, clusters_of, sketch_of
from tuneloop.data.normalise import dedup_text
from tuneloop.data.readers import numbered_lines
from tuneloop.spec import Source
from tuneloop.task_card import TaskCard

SHARD_ROWS = 20_000
ROW_CHECKS = {"length": length.scan, "hygiene": hygiene.scan, "pii": pii.scan}
ORDER = ("format", "length", "labels", "duplicates", "hygiene", "pii", "relevance", "balance")


@dataclass
class Shard:
    rows: list[CheckedRow] = field(default_factory=list)
    quarantined: list[tuple[int, QuarantinedRow]] = field(default_factory=list)
    notes: list[tuple[int, Finding]] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.rows) + len(self.quarantined)


@dataclass
class ShardScan:
    """What the driver needs from one shard: the per-row results and the index columns."""

    results: dict[str, CheckResult]
    index: IndexPart
    files: list[str]
    balance: balance.BalancePart
    read: int
    kept: int
    splits: dict[str, int]


def locate(example: Example) -> tuple[str, int | None]:
    file, _, line = example.source.rpartition(":")
    return (file, int(line)) if line.isdigit() else (example.source, None)


def shards_from_sources(
    inputs: Sequence[tuple[Source, str]], card: TaskCard, root: Path, size: int = SHARD_ROWS
) -> Iterator[Shard]:
    """Stream `(source, split)` inputs through ingest, `size` rows at a time."""
    shard, number = Shard(), 0
    for source, split in inputs:
        for item, notes in iter_source(source, card, root):
            if isinstance(item, QuarantinedRow):
                shard.quarantined.append((number, item))
            else:
                file, line = locate(item)
                shard.rows.append(CheckedRow(number, item, file, line, split))
            shard.notes.extend((number, note) for note in notes)
            number += 1
            if shard.read >= size:
                yield shard
                shard = Shard()
    if shard.read:
        yield shard


def numbered_rows(parts: dict[str, list[Example]]) -> list[CheckedRow]:
    """Every example of every part as a `CheckedRow`, numbered in file order (so "the first copy" is the
    first in the file, whatever the split's shuffle did)."""
    rows = [
        CheckedRow(0, example, *locate(example), split)
        for split, examples in parts.items()
        for example in examples
    ]
    rows.sort(key=lambda r: (r.file, r.line or 0))
    return [CheckedRow(i, r.example, r.file, r.line, r.split) for i, r in enumerate(rows)]


def shards_from_parts(
    parts: dict[str, list[Example]],
    quarantined: Sequence[QuarantinedRow],
    notes: Sequence[Finding] = (),
    size: int = SHARD_ROWS,
) -> Iterator[Shard]:
    """Shards of examples already read and split (a spec's `read_and_split`)."""
    rows = numbered_rows(parts)
    by_place = {(r.file, r.line): r.number for r in rows}
    numbered = [(len(rows) + i, q) for i, q in enumerate(quarantined)]
    noted = [(by_place.get((n.file, n.line), -1), n) for n in notes]
    for start in range(0, max(len(rows), 1), size):
        yield Shard(rows[start : start + size], numbered if start == 0 else [], noted if start == 0 else [])


@dataclass(frozen=True)
class RawChunk:
    """Lines of one JSONL source, read but not parsed: what a worker process gets."""

    source: Source
    split: str
    lines: list[tuple[int, bytes]]
    first_number: int


def raw_chunks(inputs: Sequence[tuple[Source, str]], size: int = SHARD_ROWS) -> Iterator[RawChunk]:
    """The JSONL/chat inputs cut into chunks of `size` non-blank lines (the reader's only work)."""
    number = 0
    for source, split in inputs:
        with source.path.open("rb") as fh:
            chunk: list[tuple[int, bytes]] = []
            for item in numbered_lines(fh):
                chunk.append(item)
                if len(chunk) >= size:
                    yield RawChunk(source, split, chunk, number)
                    number, chunk = number + len(chunk), []
            if chunk:
                yield RawChunk(source, split, chunk, number)
                number += len(chunk)


def scan_raw(chunk: RawChunk, card: TaskCard, root: Path, settings: CheckSettings) -> ShardScan:
    """Parse one chunk with ingest's rules and scan it: the unit of work of the process engine."""
    shard = Shard()
    for number, (item, notes) in enumerate(
        iter_source(chunk.source, card, root, chunk.lines), start=chunk.first_number
    ):
        if isinstance(item, QuarantinedRow):
            shard.quarantined.append((number, item))
        else:
            shard.rows.append(CheckedRow(number, item, *locate(item), chunk.split))
        shard.notes.extend((number, note) for note in notes)
    return scan_shard(shard, settings)


def process_scans(
    inputs: Sequence[tuple[Source, str]], card: TaskCard, root: Path, workers: int
) -> Callable[[Iterable[Shard], CheckSettings], Iterator[ShardScan]]:
    """`scans` for `run_checks` that ignores the in-process shards and runs `scan_raw` on `workers`
    processes instead, with at most two chunks per worker in flight (memory stays flat)."""

    def scans(_: Iterable[Shard], settings: CheckSettings) -> Iterator[ShardScan]:
        window = 2 * workers
        # fork where there is one: workers start at once and need not re-import the caller's __main__
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            pending: deque[Future[ShardScan]] = deque()
            for chunk in raw_chunks(inputs):
                pending.append(pool.submit(scan_raw, chunk, card, root, settings))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    return scans


def scan_shard(shard: Shard, settings: CheckSettings) -> ShardScan:
    """Every per-row check on one shard, and its rows' index columns. No state: runs anywhere."""
    rows = shard.rows
    results: dict[str, CheckResult] = {}
    fmt = CheckResult("format")
    for number, q in shard.quarantined:
        fmt.findings.append(q.finding)
        fmt.flagged.setdefault(q.finding.code, []).append(number)
        fmt.summary[q.finding.code] = fmt.summary.get(q.finding.code, 0) + 1
    for number, note in shard.notes:
        fmt.findings.append(note)
        if number >= 0:  # a note about no one row (a label the split kept in train) flags none
            fmt.flagged.setdefault(note.code, []).append(number)
        fmt.summary[note.code] = fmt.summary.get(note.code, 0) + 1
    results["format"] = fmt
    for name, scan in ROW_CHECKS.items():
        if settings.runs(name):
            results[name] = scan(rows, settings)
    files = sorted({r.file for r in rows})
    file_ids = {f: i for i, f in enumerate(files)}
    normalised = [dedup_text(r.input_text) for r in rows]
    near = settings.quality.near_duplicates
    if settings.runs("duplicates"):
        signatures = MinHasher(near.permutations, near.ngram).signatures(normalised, normalised=True)
        bands, sketch = band_keys_of(signatures, near.threshold), sketch_of(signatures)
    else:  # one all-zero band: no row is a candidate
        bands, sketch = np.zeros((len(rows), 1), dtype=np.uint64), np.zeros((len(rows), 1), dtype=np.uint8)
    index = IndexPart(
        number=np.array([r.number for r in rows], dtype=np.int64),
        file=np.array([file_ids[r.file] for r in rows], dtype=np.int32),
        line=np.array([r.line or 0 for r in rows], dtype=np.int64),
        split=np.array([SPLIT_CODES.get(r.split, 0) for r in rows], dtype=np.int8),
        row_id=np.array([int(r.example.id, 16) for r in rows], dtype=np.uint64),
        input_hash=text_hashes(normalised),
        answer_hash=text_hashes([dedup_text(r.answer) for r in rows]),
        words=np.array([t.count(" ") + 1 if t else 0 for t in normalised], dtype=np.int32),
        bands=bands,
        sketch=sketch,
    )
    splits: dict[str, int] = {}
    for r in rows:
        splits[r.split] = splits.get(r.split, 0) + 1
    return ShardScan(results, index, files, balance.observe(rows), shard.read, len(rows), splits)


@dataclass
class QualityReport:
    read: int
    kept: int
    quarantined: int
    splits: dict[str, int]
    results: dict[str, CheckResult]
    labelled: bool
    skipped: dict[str, str]

    @property
    def findings(self) -> list[Finding]:
        found = [f for name in ORDER if name in self.results for f in self.results[name].findings]
        return sorted(found, key=lambda f: (f.file, f.line or 0, f.code))

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        findings = self.findings
        label_counts = (
            self.results["balance"].summary.get("label_counts", {}) if "balance" in self.results else {}
        )
        return {
            "ok": self.ok,
            "counts": {
                "read": self.read,
                "kept": self.kept,
                "quarantined": self.quarantined,
                "splits": self.splits,
            },
            "labels": label_counts,
            "findings_summary": summarize(findings),
            "checks": {name: self.results[name].summary for name in ORDER if name in self.results}
            | {name: {"skipped": why} for name, why in self.skipped.items()},
            "findings": [f.to_dict() for f in findings],
        }


def run_checks(
    shards: Callable[[], Iterable[Shard]],
    settings: CheckSettings,
    scans: Callable[[Iterable[Shard], CheckSettings], Iterable[ShardScan]] | None = None,
) -> QualityReport:
    """Run the suite over `shards()` (called twice when relevance runs: the second pass scores).

    `scans` maps `scan_shard` over the shards: in this process by default, or on Ray
    (`tuneloop.data.ray_engine`)."""
    scans = scans or (lambda it, s: (scan_shard(shard, s) for shard in it))
    index, part = RowIndex(), balance.BalancePart()
    near = settings.quality.near_duplicates
    per_row: dict[str, list[CheckResult]] = {}
    read = kept = 0
    splits: dict[str, int] = {}
    for scan in scans(shards(), settings):
        for name, result in scan.results.items():
            per_row.setdefault(name, []).append(result)
        index.add(scan.index, scan.files)
        part.merge(scan.balance)
        read, kept = read + scan.read, kept + scan.kept
        for split, n in scan.splits.items():
            splits[split] = splits.get(split, 0) + n
    results = {name: merged(name, parts) for name, parts in per_row.items()}
    labelled = _labelled(settings, part)
    skipped: dict[str, str] = {}
    if settings.runs("duplicates") or settings.runs("labels"):
        dups, labels = duplicates.exact(index, labelled)
        if settings.runs("duplicates"):
            all_rows = index.all
            clusters = clusters_of(all_rows.number, all_rows.bands, all_rows.sketch, near.threshold)
            dups.merge(duplicates.near(index, clusters, dups, labels))
            results["duplicates"] = dups
        if settings.runs("labels"):
            results["labels"] = labels
            if not labelled:
                skipped["labels"] = (
                    "the answers are free text, not labels: conflicting answers are not errors"
                )
                del results["labels"]
    if settings.runs("balance"):
        first_file = index.files[0] if index.files else ""
        results["balance"] = balance.finish(
            part, index, labelled, settings.labels, settings.quality, first_file
        )
    if settings.runs("relevance"):
        model = relevance.fit(relevance.sample_of(s.rows for s in shards())) if labelled else None
        if model is None:
            skipped["relevance"] = "needs at least 200 labelled rows of at least two labels"
        else:
            threshold = settings.quality.relevance_threshold
            results["relevance"] = merged(
                "relevance", (relevance.scan(s.rows, model, threshold) for s in shards())
            )
    return QualityReport(read, kept, read - kept, splits, results, labelled, skipped)


def _labelled(settings: CheckSettings, part: balance.BalancePart) -> bool:
    """Are the answers labels? The spec says so; otherwise, few distinct short answers mean yes."""
    if settings.labelled is not None:
        return settings.labelled
    if "<free text>" in part.labels or not part.labels:
        return False
    return len(part.labels) <= max(20, part.rows // 20) and sum(part.labels.values()) == part.rows
