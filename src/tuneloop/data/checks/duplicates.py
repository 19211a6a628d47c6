"""Duplicates, conflicting labels and leakage: the checks that compare rows with each other.

All three read the shared `RowIndex`, grouped by a sort instead of a dictionary, so a million rows
cost a few arrays:
- `duplicate`: the same normalised input and answer as an earlier row of its split;
  `prepare` keeps the first.
- `conflicting_labels`: the same normalised input with a different label than its first
  occurrence (only where answers are labels; two answers to one prompt are fine in a generate task).
- `leakage`: a training row whose input is also in validation or test; the evaluation would score
  what the model memorised. `prepare` drops the training copy.
- `near_duplicate` / `near_leakage`: the same with MinHash LSH over input word n-grams
  (`quality.near_duplicates`), for copies with small edits.

The summary counts clusters by size: `exact_cluster_sizes` (rows with the same normalised input)
and `cluster_sizes` (near-duplicate clusters), as `{"size": clusters}`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from tuneloop.data.checks.base import CheckResult
from tuneloop.data.checks.index import SPLIT_CODES, SPLIT_NAMES, RowIndex
from tuneloop.data.findings import Finding

_HELD_OUT = (SPLIT_CODES["validation"], SPLIT_CODES["test"])


def _finding(
    result: CheckResult, index: RowIndex, i: int, code: str, severity: str, message: str, fix: str
) -> None:
    file, line = index.where(i)
    number = int(index.all.number[i])
    row_id = f"{int(index.all.row_id[i]):016x}"
    result.findings.append(Finding(code, severity, file, line, message, fix, row_id))  # type: ignore[arg-type]
    result.flagged.setdefault(code, []).append(number)
    result.summary[code] = result.summary.get(code, 0) + 1


def _at(index: RowIndex, i: int) -> str:
    file, line = index.where(i)
    return f"{file}:{line}"


def exact(index: RowIndex, labelled: bool) -> tuple[CheckResult, CheckResult]:
    """(duplicates, labels) results for exact copies of inputs."""
    dups, labels = CheckResult("duplicates"), CheckResult("labels")
    rows = index.all
    if not len(rows.number):
        return dups, labels
    order = np.lexsort((rows.number, rows.input_hash))
    keys = rows.input_hash[order]
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    sizes = np.diff(np.concatenate((starts, [len(keys)])))
    copies = Counter(int(size) for size in sizes[sizes > 1])
    dups.summary["exact_cluster_sizes"] = {str(k): v for k, v in sorted(copies.items())}
    for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
        group = order[start : start + size]
        first = int(group[0])
        held_out = [int(i) for i in group if rows.split[i] in _HELD_OUT]
        seen: dict[tuple[int, int], int] = {}
        for i in (int(i) for i in group):
            key = (int(rows.split[i]), int(rows.answer_hash[i]))
            if key in seen:
                _finding(
                    dups, index, i, "duplicate", "warning",
                    f"a copy of {_at(index, seen[key])} (same input and answer after normalising case, "
                    "spacing and punctuation)",
                    "keep one (prepare keeps the first)",
                )  # fmt: skip
            else:
                seen[key] = i
            if labelled and i != first and rows.answer_hash[i] != rows.answer_hash[first]:
                _finding(
                    labels, index, i, "conflicting_labels", "warning",
                    f"the same input as {_at(index, first)} has a different label there",
                    "decide which label is right (the guidelines), and fix the other row",
                )  # fmt: skip
            if rows.split[i] == SPLIT_CODES["train"] and held_out:
                other = held_out[0]
                _finding(
                    dups, index, i, "leakage", "warning",
                    f"the same input is in the {SPLIT_NAMES[int(rows.split[other])]} split at "
                    f"{_at(index, other)}; evaluation would reward memorising it",
                    "remove it from train (prepare does with quality.drop_leaked)",
                )  # fmt: skip
    return dups, labels


def near(
    index: RowIndex, clusters: list[np.ndarray], already: CheckResult, labels: CheckResult
) -> CheckResult:
    """Near copies in LSH clusters that are not exact copies or label conflicts already flagged."""
    result = CheckResult("duplicates")
    rows = index.all
    flagged = {n for code in ("duplicate", "leakage") for n in already.flagged.get(code, [])}
    flagged |= set(labels.flagged.get("conflicting_labels", []))
    sizes: Counter[int] = Counter()
    for cluster in clusters:
        positions = np.searchsorted(rows.number, cluster)
        sizes[len(positions)] += 1
        held_out = [int(p) for p in positions if rows.split[p] in _HELD_OUT]
        first_of_split: dict[int, int] = {}
        for p in (int(p) for p in positions):
            split = int(rows.split[p])
            if int(rows.number[p]) in flagged:
                first_of_split.setdefault(split, p)
                continue
            if split == SPLIT_CODES["train"] and held_out:
                other = held_out[0]
                _finding(
                    result, index, p, "near_leakage", "warning",
                    f"nearly the same input as {SPLIT_NAMES[int(rows.split[other])]} row {_at(index, other)}",
                    "remove it from train (prepare does with quality.drop_leaked)",
                )  # fmt: skip
            elif split in first_of_split:
                _finding(
                    result, index, p, "near_duplicate", "info",
                    f"nearly the same input as {_at(index, first_of_split[split])}",
                    "keep one unless the difference matters (prepare keeps the first)",
                )  # fmt: skip
            first_of_split.setdefault(split, p)
    result.summary["near_duplicate_clusters"] = sum(sizes.values())
    result.summary["cluster_sizes"] = {str(k): v for k, v in sorted(sizes.items())}
    return result
