"""`tuneloop check`: say what is wrong with the data before training, row by row and overall.

Two ways in:
- `check_data(spec)`: every source of a project, read and split the way a run would, with the
  spec's labels, tokenizer, limits and `quality:` settings.
- `check_files(paths, spec=None)`: files on their own, format and fields inferred from the file
  (chat, Alpaca, ShareGPT or preference rows in JSONL or a JSON array, or CSV, JSONL, JSON or
  Parquet with text and label columns; docs/formats.md), streamed in shards so a file
  larger than memory can be checked; a spec, when given, adds its labels and settings. A file named
  like a split (`*valid*`, `*dev*`, `*test*`) is that split, so leakage between files is found.

Both return the same report (`QualityReport.to_dict`): counts, the summary of each check and every
finding (docs/checks.md lists the codes).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tuneloop.data.checks.settings import CheckSettings
from tuneloop.data.checks.suite import (
    QualityReport,
    process_scans,
    run_checks,
    shards_from_parts,
    shards_from_sources,
)
from tuneloop.data.prepare import read_and_split
from tuneloop.data.readers import container_of, first_objects, parquet_columns
from tuneloop.data.row_shapes import row_shape
from tuneloop.errors import TuneloopError, some_of
from tuneloop.spec import FieldMap, ProjectSpec, Source
from tuneloop.spec.data import CONVERSATION_FORMATS
from tuneloop.task_card import TaskCard

PROCESSES_FROM_BYTES = 32 * 1024 * 1024  # larger JSONL inputs are parsed and scanned on every core
FINDINGS_LISTED = 50  # printed by the plain-text output; --json lists them all
TEXT_FIELDS = (
    "text",
    "input",
    "prompt",
    "question",
    "instruction",
    "query",
    "utterance",
    "sentence",
    "content",
)
LABEL_FIELDS = ("label", "category", "intent", "class", "target")
ANSWER_FIELDS = ("completion", "output", "answer", "response")
_SPLIT_NAMES = (("test", "test"), ("valid", "validation"), ("dev", "validation"), ("val", "validation"))


def check_data(spec: ProjectSpec, engine: str = "local") -> dict[str, Any]:
    """The suite on a project's sources, split as a run would split them."""
    result, parts = read_and_split(spec)
    settings = CheckSettings.from_spec(spec, parts)
    report = run_checks(
        lambda: shards_from_parts(parts, result.quarantined, result.notes), settings, _scans(engine)
    )
    out = report.to_dict()
    out["labels_without_examples"] = [name for name in spec.label_names if name not in out["labels"]]
    return out


def check_files(
    paths: Sequence[Path], spec: ProjectSpec | None = None, engine: str = "local"
) -> dict[str, Any]:
    """The suite on files given one by one; `spec` adds labels, tokenizer and quality settings."""
    if not paths:
        raise TuneloopError("give at least one data file (or a project directory)")
    if spec is not None:
        settings, card = CheckSettings.from_spec(spec), TaskCard.from_spec(spec)
        fields = spec.data.sources[0].fields
    else:
        settings, card, fields = None, TaskCard(task="generate", labels=[], system=None), None
    inputs = [(infer_source(path, fields), split_of(path)) for path in paths]
    if settings is None:
        labelled = any(
            s.format not in CONVERSATION_FORMATS and s.fields.label in LABEL_FIELDS for s, _ in inputs
        )
        settings = CheckSettings(labelled=True if labelled else None)
    root = Path.cwd()
    scans = _scans(engine)
    workers = os.cpu_count() or 1
    big = sum(p.stat().st_size for p in paths) > PROCESSES_FROM_BYTES
    if engine == "local" and workers > 1 and big and all(container_of(s) == "jsonl" for s, _ in inputs):
        scans = process_scans(inputs, card, root, workers)
    report: QualityReport = run_checks(lambda: shards_from_sources(inputs, card, root), settings, scans)
    out = report.to_dict()
    out["files"] = [str(p) for p in paths]
    return out


def _scans(engine: str) -> Any:
    if engine == "local":
        return None
    if engine == "ray":
        from tuneloop.data.ray_engine import ray_scans

        return ray_scans
    raise TuneloopError(f"--engine {engine!r}: expected local or ray")


def split_of(path: Path) -> str:
    stem = path.stem.lower()
    for word, split in _SPLIT_NAMES:
        if re.search(rf"(^|[^a-z]){word}", stem):
            return split
    return "train"


def infer_source(path: Path, fields: FieldMap | None = None) -> Source:
    """A `Source` for a file checked without a spec entry: format from the extension and the first
    row, fields from the spec (when given) or from the usual column names."""
    if not path.is_file():
        raise TuneloopError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        fmt, columns = "csv", _csv_header(path)
        rows = [dict.fromkeys(columns)]
    elif suffix == ".parquet":
        fmt, columns = "parquet", parquet_columns(path)
        rows = [dict.fromkeys(columns)]
    elif suffix in (".jsonl", ".json", ".ndjson"):
        fmt = "json" if suffix == ".json" else "jsonl"
        rows = first_objects(Source(path=path, format=fmt))  # type: ignore[arg-type]
        columns = list(dict.fromkeys(key for row in rows for key in row))
    else:
        raise TuneloopError(
            f"{path}: cannot tell the format from {suffix or 'no extension'!r}; "
            "use .csv, .jsonl, .json or .parquet"
        )
    shaped = _shaped(path, fmt, rows, fields)
    if shaped is not None:
        return shaped
    tabular = fields.text if fields is not None else next((c for c in TEXT_FIELDS if c in columns), None)
    if fmt in ("json", "jsonl") and tabular not in columns:
        return Source(path=path, format="chat")  # OpenAI chat: each row says what it lacks
    if fields is not None and fields.text in columns:
        return Source(path=path, format=fmt, fields=fields)  # type: ignore[arg-type]
    text = next((c for c in TEXT_FIELDS if c in columns), None)
    if text is None:
        raise TuneloopError(
            f"{path}: no text column found (looked for {', '.join(TEXT_FIELDS)}; columns: {some_of(columns)})"
        )
    label = next((c for c in (*LABEL_FIELDS, *ANSWER_FIELDS) if c in columns), None)
    return Source(path=path, format=fmt, fields=FieldMap(text=text, label=label))  # type: ignore[arg-type]


def _shaped(path: Path, fmt: str, rows: list[dict[str, Any]], fields: FieldMap | None) -> Source | None:
    """A `Source` for rows of a shape other tools publish (chat, Alpaca, ShareGPT, preference rows),
    by the keys of most of the first rows; None for tabular rows."""
    text_field = fields.text if fields is not None else "text"
    counts = Counter(row_shape(row, fmt, text_field) for row in rows).most_common(1)
    shape = counts[0][0] if counts else "tabular"
    if shape == "tabular":
        return None
    # preference rows: each row is read as one by its keys; the others by their shape's format
    return Source(path=path, format=fmt if shape == "preference" else shape)  # type: ignore[arg-type]


def _csv_header(path: Path) -> list[str]:
    import csv

    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        return [c.lstrip("\ufeff") for c in next(csv.reader(fh), [])]
