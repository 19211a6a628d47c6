"""The files of the human review of a run's outputs, under `RUN/review/`: what was drawn and why
(sample.jsonl), the results (results.json) and the corrected outputs kept as candidate training
rows (candidates.jsonl).

The results are kept apart from the store so the report and the model card read one small file,
written by `tuneloop review results`, and do not need the annotation store to render
(`run_dir.read_review_results` reads it back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tuneloop.errors import TuneloopError
from tuneloop.run_dir import REVIEW_RESULTS_FILE, REVIEW_SAMPLE_FILE, review_dir, write_json


def write_review_results(run_dir: Path, results: dict[str, Any]) -> Path:
    return write_json(review_dir(run_dir) / REVIEW_RESULTS_FILE, results)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    return path


def read_sample(run_dir: Path) -> list[dict[str, Any]]:
    path = review_dir(run_dir) / REVIEW_SAMPLE_FILE
    if not path.is_file():
        raise TuneloopError(f"{run_dir}: no review sample yet; run `tuneloop review sample {run_dir}` first")
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
