"""Split examples into train / validation / test, stratified by label and reproducible by seed.

Stratification is done per label so that every label with enough rows appears in each split in
proportion; a label too rare to split keeps all its rows in train (and the manifest shows it).
Copies of one example (same content id) always land in the same split, so a duplicate can never
leak from train into test.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from tuneloop.data.example import Example

SPLITS = ("train", "validation", "test")


def stratified_split(
    examples: list[Example], validation: float, test: float, seed: int, stratify: bool = True
) -> dict[str, list[Example]]:
    """Per-label shares when `stratify` (classify tasks); one seeded shuffle otherwise (the answers of
    a generate task are free text, so "per label" would make every row its own group)."""
    rng = np.random.default_rng(seed)
    by_label: dict[str | None, dict[str, list[Example]]] = defaultdict(lambda: defaultdict(list))
    for example in examples:
        by_label[example.label if stratify else None][example.id].append(example)
    out: dict[str, list[Example]] = {name: [] for name in SPLITS}
    for label in sorted(by_label, key=str):
        groups = list(by_label[label].values())
        order = rng.permutation(len(groups))
        n_test, n_val = _share(len(groups), test), _share(len(groups), validation)
        if n_test + n_val >= len(groups):  # too rare to split: keep it trainable
            n_test = n_val = 0
        for position, index in enumerate(order):
            name = "test" if position < n_test else "validation" if position < n_test + n_val else "train"
            out[name].extend(groups[index])
    for name in SPLITS:  # interleave labels; training order is shuffled again by the trainer
        out[name] = [out[name][i] for i in rng.permutation(len(out[name]))]
    return out


def _share(n: int, fraction: float) -> int:
    return int(np.floor(n * fraction + 0.5))
