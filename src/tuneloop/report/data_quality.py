"""The report's data-quality section, from the run directory alone.

Input lengths are counted from the run's Parquet parts (one vectorised pass over the `messages`
column); everything else comes from `data/manifest.json` (`label_counts`, `actions`,
`class_weights`, the findings, the `quality` summary `prepare` records, and `gold`: the rows the
annotation store's decided labels overrode, added or left unchanged) and `run.json`
(`data_gate`). The findings are grouped by code: a count, the severities and an example sentence
per code, and the first FINDINGS_SHOWN rows of each kept to be folded under it, so that a thousand
duplicates do not push everything else out of sight.
A run written before a piece existed gets `None` for it, which the template says in a sentence.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tuneloop.data.split import SPLITS
from tuneloop.report import plots
from tuneloop.run_dir import RunRecord

MAX_LABELS_PLOTTED = 500
FINDINGS_SHOWN = 200  # rows listed per code; data/manifest.json and data/quarantine.jsonl keep them all


def data_quality_section(
    data_dir: Path, manifest: dict[str, Any] | None, record: RunRecord
) -> dict[str, Any]:
    manifest = manifest or {}
    quality = manifest.get("quality") or {}
    lengths = input_lengths(data_dir)
    label_counts = {split: counts for split, counts in (manifest.get("label_counts") or {}).items() if counts}
    distinct = {label for counts in label_counts.values() for label in counts}
    labelled = 0 < len(distinct) <= MAX_LABELS_PLOTTED  # more: free-text answers, not labels
    slices = quality.get("slice_label_counts") or {}
    clusters = quality.get("duplicate_cluster_sizes")
    findings = findings_by_code(quality.get("findings_by_code") or {}, manifest.get("findings") or [])
    by_code = {entry["code"]: entry["severities"] for entry in findings}
    sets = quality.get("label_sets")  # a multilabel task's co-occurrence and set sizes
    return {
        "length_plot": plots.length_histogram(lengths) if lengths else None,
        "label_plot": plots.label_distribution(label_counts, slices) if labelled else None,
        "label_sets": sets,
        "cooccurrence_plot": plots.label_cooccurrence(sets) if sets and sets["cooccurrence"] else None,
        "slices": sorted(slices),
        "clusters_recorded": clusters is not None,
        "cluster_plot": plots.duplicate_clusters(clusters) if clusters and any(clusters.values()) else None,
        "findings_plot": plots.findings_by_code(by_code) if by_code else None,
        "findings": findings,
        "actions": manifest.get("actions"),
        "class_weights": manifest.get("class_weights"),
        "skipped_checks": quality.get("skipped_checks") or {},
        "gate": record.data_gate,
        "gold": manifest.get("gold"),
    }


def findings_by_code(
    counts: dict[str, dict[str, int]], findings: list[dict[str, Any]], shown: int = FINDINGS_SHOWN
) -> list[dict[str, Any]]:
    """One entry per code, most frequent first: `count` and `severities` (from `counts`, the
    quality summary's {code: {severity: n}}), the first row as `example`, and the first `shown`
    of the manifest's `findings` with that code as `rows` (of `listed` in all).

    A code `counts` lacks (a manifest from before the quality summary) is counted from `findings`."""
    listed: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        listed.setdefault(finding["code"], []).append(finding)
    uncounted = {
        code: dict(Counter(f["severity"] for f in rows).most_common())
        for code, rows in listed.items()
        if code not in counts
    }
    ordered = sorted({**counts, **uncounted}.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return [
        {
            "code": code,
            "count": sum(severities.values()),
            "severities": severities,
            "example": listed[code][0] if code in listed else None,
            "rows": listed.get(code, [])[:shown],
            "listed": len(listed.get(code, [])),
        }
        for code, severities in ordered
    ]


def input_lengths(data_dir: Path) -> dict[str, np.ndarray]:
    """Words in each row's input (every turn but the system prompt and the answer), per split."""
    out = {}
    for split in SPLITS:
        path = data_dir / f"{split}.parquet"
        if not path.is_file():
            continue
        messages = pq.read_table(path, columns=["messages"]).column("messages").combine_chunks()
        if not len(messages):
            continue
        turns = pc.list_flatten(messages)
        owner = pc.list_parent_indices(messages).to_numpy(zero_copy_only=False)
        role = turns.field("role").to_numpy(zero_copy_only=False)
        words = pc.list_value_length(pc.utf8_split_whitespace(turns.field("content")))
        words_np = pc.fill_null(words, pa.scalar(0, words.type)).to_numpy(zero_copy_only=False)
        counted = (role != "system") & (role != "assistant")
        out[split] = np.bincount(owner[counted], weights=words_np[counted], minlength=len(messages)).astype(
            int
        )
    return out
