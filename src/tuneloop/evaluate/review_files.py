"""The files of the human review of a run's outputs, under `RUN/review/`: what was drawn and why
(sample.jsonl), the results (results.json) and the corrected outputs kept as candidate training
rows (candidates.jsonl).

The results are kept apart from the store so the report and the model card read one small file,
written by `tuneloop review results`, and do not need the annotation store to render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tuneloop.errors import TuneloopError

REVIEW_DIR = "review"
SAMPLE_FILE = "sample.jsonl"
RESULTS_FILE = "results.json"
CANDIDATES_FILE = "candidates.jsonl"


def write_review_results(run_dir: Path, results: dict[str, Any]) -> Path:
    path = run_dir / REVIEW_DIR / RESULTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return path


def read_review_results(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / REVIEW_DIR / RESULTS_FILE
    return orjson.loads(path.read_bytes()) if path.is_file() else None


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    return path


def read_sample(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / REVIEW_DIR / SAMPLE_FILE
    if not path.is_file():
        raise TuneloopError(f"{run_dir}: no review sample yet; run `tuneloop review sample {run_dir}` first")
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
