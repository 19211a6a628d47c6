"""Balance and diversity: how the labels and slices are spread, and how varied the inputs are.

The summary gives the label distribution, the imbalance ratio (largest / smallest label) and the
normalised entropy (1 = perfectly even), overall and per slice (with the label counts of every
slice value), and the diversity of the inputs:
distinct word bigrams per bigram (on the first 20,000 rows) and length quantiles. Findings name labels with
fewer rows than `quality.rare_label_share` of the median label (the model will seldom answer
them), labels of the schema with no rows, and inputs far longer than the rest (a robust z-score of
the log word count above 6 and more than 10x the median: pasted documents, merged rows). Rare
labels are named only from 200 rows on, where a share means something. A multilabel row counts
for each label it holds; its co-occurrence and set sizes, and its own rare-label rule, are in
`label_sets.py`.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tuneloop.data.checks import label_sets
from tuneloop.data.checks.base import CheckedRow, CheckResult
from tuneloop.data.checks.index import RowIndex
from tuneloop.data.checks.label_sets import LabelSetPart
from tuneloop.data.findings import Finding
from tuneloop.spec import QualitySpec

MAX_LABELS = 10_000  # more distinct answers than this: free text, not labels
MIN_ROWS_FOR_RARE = 200  # in a smaller file a label's share is noise
OUTLIER_Z = 6.0
OUTLIER_TIMES_MEDIAN = 10
BIGRAM_SAMPLE = 200_000
BIGRAM_ROWS = 20_000  # diversity is measured on the first rows: a fixed sample, the same in every engine


@dataclass
class BalancePart:
    labels: Counter[str] = field(default_factory=Counter)
    slices: Counter[tuple[str, str]] = field(default_factory=Counter)
    slice_labels: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    bigrams: set[int] = field(default_factory=set)
    bigram_total: int = 0
    rows: int = 0
    sets: LabelSetPart = field(default_factory=LabelSetPart)  # multilabel rows only

    def merge(self, other: BalancePart) -> None:
        self.sets.merge(other.sets)
        self.labels.update(other.labels)
        self.slices.update(other.slices)
        self.slice_labels.update(other.slice_labels)
        if self.bigram_total < BIGRAM_SAMPLE:
            self.bigrams |= other.bigrams
            self.bigram_total += other.bigram_total
        self.rows += other.rows
        if len(self.labels) > MAX_LABELS:
            self.labels.clear()
            self.slice_labels.clear()
            self.labels["<free text>"] = -1


def observe(rows: Sequence[CheckedRow]) -> BalancePart:
    part = BalancePart(rows=len(rows), sets=label_sets.observe(rows))
    for row in rows:
        label = row.example.label
        # a multilabel row counts once for each of its labels; any other row, for its answer
        names = (
            row.example.labels if row.example.labels is not None else (label,) if label is not None else ()
        )
        for name in names:
            if len(name) <= 100:
                part.labels[name] += 1
        for name, value in row.example.slices.items():
            part.slices[(name, value)] += 1
            for each in names:
                part.slice_labels[(name, value, each)] += 1
        if row.number < BIGRAM_ROWS:
            words = row.input_text.casefold().split()
            part.bigrams.update(zlib.crc32(f"{a} {b}".encode()) for a, b in itertools.pairwise(words))
            part.bigram_total += max(len(words) - 1, 0)
    return part


def distribution(counts: dict[str, int]) -> dict[str, object]:
    values = np.array([v for v in counts.values() if v > 0], dtype=float)
    if not len(values):
        return {"labels": 0}
    p = values / values.sum()
    entropy = float(-(p * np.log(p)).sum())
    return {
        "labels": len(values),
        "imbalance_ratio": round(float(values.max() / values.min()), 3),
        "entropy": round(entropy, 4),
        "normalised_entropy": round(entropy / math.log(len(values)), 4) if len(values) > 1 else 1.0,
    }


def finish(
    part: BalancePart,
    index: RowIndex,
    labelled: bool,
    schema: tuple[str, ...] | None,
    quality: QualitySpec,
    first_file: str,
) -> CheckResult:
    """The summary and findings; a multilabel task's rare labels are those under
    `quality.min_label_rows` (data/checks/label_sets.py), any other's those under
    `quality.rare_label_share` of the median label."""
    result = CheckResult("balance")
    labels = dict(part.labels.most_common()) if labelled and "<free text>" not in part.labels else {}
    summary: dict[str, object] = {"rows": part.rows}
    if part.sets.rows:
        summary["multilabel"] = label_sets.summary(part.sets, schema)
        result.findings += label_sets.rare_labels(part.sets, schema, quality.min_label_rows, first_file)
    if labels:
        summary["label_counts"] = labels
        summary["labels"] = distribution(labels)
        if not part.sets.rows and part.rows >= MIN_ROWS_FOR_RARE:
            result.findings += _rare_by_share(labels, quality.rare_label_share, first_file)
        for label in schema or ():
            if label not in labels:
                result.findings.append(
                    Finding(
                        "label_without_rows", "warning", first_file, None,
                        f"label {label!r} is in the spec but no row has it",
                        "add examples of it, or remove it from labels:",
                    )
                )  # fmt: skip
    counts: dict[str, dict[str, int]] = {}
    for (name, value), n in part.slices.items():
        counts.setdefault(name, {})[value] = n
    by_value: dict[tuple[str, str], Counter[str]] = {}
    for (name, value, label), n in part.slice_labels.items():
        by_value.setdefault((name, value), Counter())[label] += n
    slices: dict[str, dict[str, object]] = {}
    for name, values in counts.items():
        entry: dict[str, object] = {"counts": values}
        if labels:
            of = {v: by_value.get((name, v), Counter()) for v in values}
            entry["label_counts"] = {v: dict(c.most_common()) for v, c in of.items()}
            entry["per_value"] = {v: distribution(dict(c)) for v, c in of.items()}
        slices[name] = entry
    summary["slices"] = slices
    if part.bigram_total:
        summary["distinct_bigram_ratio"] = round(len(part.bigrams) / part.bigram_total, 4)
    summary.update(_length_outliers(index, result))
    result.summary = {**summary, **Counter(f.code for f in result.findings)}
    return result


def _rare_by_share(labels: dict[str, int], share: float, first_file: str) -> list[Finding]:
    """A `rare_label` warning for each label with fewer rows than `share` of the median label."""
    median = float(np.median(list(labels.values())))
    return [
        Finding(
            "rare_label",
            "warning",
            first_file,
            None,
            f"label {label!r} has {n} row(s), under {share:.0%} of the median label "
            f"({median:g}); the model will seldom answer it",
            "add examples of it, or set quality.rebalance",
        )
        for label, n in labels.items()
        if n < share * median
    ]


def _length_outliers(index: RowIndex, result: CheckResult) -> dict[str, object]:
    words = index.all.words
    if len(words) < 20:
        return {}
    logs = np.log1p(words.astype(float))
    median = float(np.median(logs))
    mad = float(np.median(np.abs(logs - median))) * 1.4826 or 1e-9
    z = (logs - median) / mad
    median_words = float(np.median(words))
    for i in np.flatnonzero((z > OUTLIER_Z) & (words > OUTLIER_TIMES_MEDIAN * max(median_words, 1))):
        file, line = index.where(int(i))
        number = int(index.all.number[i])
        result.findings.append(
            Finding(
                "length_outlier", "info", file, line,
                f"{int(words[i]):,} words, against a median of {median_words:g}: a pasted document or "
                "merged rows?",
                "check the row; split or remove it", f"{int(index.all.row_id[i]):016x}",
            )
        )  # fmt: skip
        result.flagged.setdefault("length_outlier", []).append(number)
        result.scores.setdefault("length_outlier", {})[number] = float(z[i])
    q = np.quantile(words, [0.0, 0.5, 0.95, 0.99, 1.0])
    return {
        "input_words": dict(zip(("min", "median", "p95", "p99", "max"), (int(v) for v in q), strict=True))
    }
