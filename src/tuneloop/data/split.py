"""Split examples into train / validation / test, stratified by label and reproducible by seed.

Stratification is done per label so that every label with enough rows appears in each split in
proportion; a label too rare to split keeps all its rows in train (and the manifest shows it).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from tuneloop.data.example import Example

SPLITS = ("train", "validation", "test")


def stratified_split(
    examples: list[Example], validation: float, test: float, seed: int
) -> dict[str, list[Example]]:
    rng = np.random.default_rng(seed)
    by_label: dict[str | None, list[Example]] = defaultdict(list)
    for example in examples:
        by_label[example.label].append(example)
    out: dict[str, list[Example]] = {name: [] for name in SPLITS}
    for label in sorted(by_label, key=str):
        group = by_label[label]
        order = rng.permutation(len(group))
        n_test, n_val = _share(len(group), test), _share(len(group), validation)
        if n_test + n_val >= len(group):  # too rare to split: keep it trainable
            n_test = n_val = 0
        out["test"].extend(group[i] for i in order[:n_test])
        out["validation"].extend(group[i] for i in order[n_test : n_test + n_val])
        out["train"].extend(group[i] for i in order[n_test + n_val :])
    for name in SPLITS:  # interleave labels; training order is shuffled again by the trainer
        out[name] = [out[name][i] for i in rng.permutation(len(out[name]))]
    return out


def _share(n: int, fraction: float) -> int:
    return int(np.floor(n * fraction + 0.5))
