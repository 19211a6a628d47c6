"""Split multilabel examples by iterative stratification (Sechidis, Tsoumakas and Vlahavas, "On
the Stratification of Multi-Label Data", ECML PKDD 2011), seeded and deterministic.

Stratifying by the label set would make nearly every set its own stratum (NLU++ banking: 2,071
rows, over 700 sets), so each split would get its share of few of them. Iterative stratification
deals with one label at a time instead, the rarest first: every row holding the label that has the
fewest rows still to deal goes to the split that most lacks that label (ties: the split that lacks
the most rows, then a seeded draw), and the split's wants of every label of the row go down. Rows
without labels go last, each to the split that lacks the most rows. So each label lands in every
split close to that split's share, the rare ones most carefully. Copies of one example (same
content id) are dealt as one unit, so a duplicate can never leak from train into test.
A label with rows but none in a held-out split gets a `too_rare_to_split` finding, as in
data/split.py.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from tuneloop.data.example import Example
from tuneloop.data.findings import Finding
from tuneloop.data.split import SPLITS, TOO_RARE, Split


def iterative_split(examples: list[Example], validation: float, test: float, seed: int) -> Split:
    """Train, validation and test with the shares asked for, each label spread in proportion."""
    rng = np.random.default_rng(seed)
    groups: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        groups[example.id].append(example)
    units = [groups[key] for key in sorted(groups)]
    units = [units[i] for i in rng.permutation(len(units))]
    shares = np.array([1.0 - validation - test, validation, test])
    chosen = deal(units, shares, rng)
    out: dict[str, list[Example]] = {name: [] for name in SPLITS}
    for unit, split in zip(units, chosen, strict=True):
        out[SPLITS[split]].extend(unit)
    for name in SPLITS:  # interleave; training order is shuffled again by the trainer
        out[name] = [out[name][i] for i in rng.permutation(len(out[name]))]
    return Split(out, _missing_labels(out, {"validation": validation, "test": test}))


def deal(units: list[list[Example]], shares: np.ndarray, rng: np.random.Generator) -> list[int]:
    """The split (index into `shares`) of each unit: the algorithm of the module docstring."""
    size = [len(unit) for unit in units]
    labels_of = [unit[0].labels or () for unit in units]
    holders: dict[str, list[int]] = defaultdict(list)
    for u, labels in enumerate(labels_of):
        for label in labels:
            holders[label].append(u)
    wants: np.ndarray = shares * sum(size)  # rows each split still lacks
    label_wants: dict[str, np.ndarray] = {
        label: shares * sum(size[u] for u in us) for label, us in holders.items()
    }
    left = {label: sum(size[u] for u in us) for label, us in holders.items()}
    chosen = [-1] * len(units)
    while any(left.values()):
        fewest = min(n for n in left.values() if n)
        rarest = sorted(lb for lb, n in left.items() if n == fewest)
        label = rarest[int(rng.integers(len(rarest)))]
        for u in holders[label]:
            if chosen[u] >= 0:
                continue
            split = _neediest(label_wants[label], wants, shares, rng)
            chosen[u] = split
            wants[split] -= size[u]
            for other in labels_of[u]:
                label_wants[other][split] -= size[u]
                left[other] -= size[u]
    for u in (u for u in range(len(units)) if chosen[u] < 0):  # rows without labels
        split = _neediest(wants, wants, shares, rng)
        chosen[u] = split
        wants[split] -= size[u]
    return chosen


def _neediest(first: np.ndarray, then: np.ndarray, shares: np.ndarray, rng: np.random.Generator) -> int:
    """The split that lacks the most of `first`, ties broken by `then`, then by a seeded draw;
    a split with share 0 is never chosen."""
    open_ = [j for j in range(len(shares)) if shares[j] > 0]
    best = max(first[j] for j in open_)
    tied = [j for j in open_ if first[j] == best]
    if len(tied) > 1:
        most = max(then[j] for j in tied)
        tied = [j for j in tied if then[j] == most]
    return tied[int(rng.integers(len(tied)))] if len(tied) > 1 else tied[0]


def _missing_labels(parts: dict[str, list[Example]], wanted: dict[str, float]) -> list[Finding]:
    """A finding for each label that has rows but none in a held-out split asked for."""
    found: dict[str, dict[str, Example]] = defaultdict(dict)
    for name, examples in parts.items():
        for example in examples:
            for label in example.labels or ():
                found[label].setdefault(name, example)
    findings = []
    for label in sorted(found):
        missing = [name for name, share in wanted.items() if share > 0 and name not in found[label]]
        if missing:
            first = next(iter(found[label].values()))
            rows = sum(label in (e.labels or ()) for examples in parts.values() for e in examples)
            findings.append(
                Finding(
                    TOO_RARE, "warning", first.source.rpartition(":")[0] or first.source, None,
                    f"label {label!r} has {rows} row(s), none of them in {' or '.join(missing)}: "
                    "that split cannot score it",
                    fix="add examples of this label, or merge it into a related one",
                )
            )  # fmt: skip
    return findings
