"""Where the human review of a run's outputs leaves its results: `RUN/review/`.

Kept apart from the store so the report and the model card read one small file, written by
`tuneloop review results`, and do not need the annotation store to render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

REVIEW_DIR = "review"
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
