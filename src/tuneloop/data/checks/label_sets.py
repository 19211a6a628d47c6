"""Multilabel balance: how often each label occurs, which labels occur together, and how many
labels a row holds, counted per shard and merged like `balance.BalancePart`.

The summary (`balance` check, key `multilabel`) gives `rows`; `label_counts` (rows holding each
label, in schema order) and `split_counts` (the same per split); `set_sizes` ({labels in a row:
rows}), `distinct_sets` and `mean_labels`; and `cooccurrence` (`[a, b, rows holding both]`, the
most frequent pairs first: what the report's heatmap draws). A label of the schema held by fewer
than `quality.min_label_rows` rows gets a `rare_label` warning: a split cannot give every part its
share of it, and the model will seldom answer it. (`balance` names schema labels without rows.)
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tuneloop.data.checks.base import CheckedRow
from tuneloop.data.findings import Finding

MAX_DISTINCT_SETS = 100_000  # counted exactly below this; beyond it, only as "at least"


@dataclass
class LabelSetPart:
    labels: Counter[str] = field(default_factory=Counter)
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    sizes: Counter[int] = field(default_factory=Counter)
    sets: set[tuple[str, ...]] = field(default_factory=set)
    splits: Counter[tuple[str, str]] = field(default_factory=Counter)  # (split, label): rows
    rows: int = 0

    def merge(self, other: LabelSetPart) -> None:
        self.labels.update(other.labels)
        self.splits.update(other.splits)
        self.pairs.update(other.pairs)
        self.sizes.update(other.sizes)
        if len(self.sets) < MAX_DISTINCT_SETS:
            self.sets |= other.sets
        self.rows += other.rows


def observe(rows: Sequence[CheckedRow]) -> LabelSetPart:
    """The counts of the rows that carry a label set (the rows of a multilabel task)."""
    part = LabelSetPart()
    for row in rows:
        labels = row.example.labels
        if labels is None:
            continue
        part.rows += 1
        part.labels.update(labels)
        part.splits.update((row.split, label) for label in labels)
        part.pairs.update(itertools.combinations(labels, 2))  # in schema order: one key per pair
        part.sizes[len(labels)] += 1
        part.sets.add(labels)
    return part


def summary(part: LabelSetPart, schema: tuple[str, ...] | None) -> dict[str, object]:
    order = list(schema or sorted(part.labels))
    rows = max(part.rows, 1)
    return {
        "rows": part.rows,
        "label_counts": {label: part.labels[label] for label in order if part.labels[label]},
        "split_counts": {
            split: {label: part.splits[(split, label)] for label in order if part.splits[(split, label)]}
            for split in sorted({split for split, _ in part.splits})
        },
        "set_sizes": {str(n): part.sizes[n] for n in sorted(part.sizes)},
        "mean_labels": round(sum(n * k for n, k in part.sizes.items()) / rows, 3),
        "distinct_sets": len(part.sets),
        "cooccurrence": [
            [a, b, n] for (a, b), n in sorted(part.pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def rare_labels(part: LabelSetPart, schema: tuple[str, ...] | None, minimum: int, file: str) -> list[Finding]:
    """A `rare_label` warning for each label held by some row but by fewer than `minimum`."""
    return [
        Finding(
            "rare_label",
            "warning",
            file,
            None,
            f"label {label!r} is held by {part.labels[label]} row(s), under quality.min_label_rows "
            f"({minimum}); the splits cannot each get their share, and the model will seldom answer it",
            "add examples of it, or merge it into a related label",
        )
        for label in (schema or sorted(part.labels))
        if 0 < part.labels[label] < minimum
    ]
