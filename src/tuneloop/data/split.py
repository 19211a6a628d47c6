"""Split examples into train / validation / test, stratified by label and reproducible by seed.

Each held-out split gets the share asked for of all the rows, as near as whole rows allow, dealt
out to the labels in proportion by largest remainders: every label gets the whole part of its
quota, and the rows left over go to the labels with the largest fractions. Rounding each label
on its own instead would miss the request by up to half a row per label (on 1,009 rows of many
small labels, 118 test rows for 151 asked). Every label keeps one row in train; a label with
fewer rows than splits keeps them all there. A label left with no validation or test row says so
in a `too_rare_to_split` finding: the held-out splits cannot score it. Copies of one example (same
content id) always land in the same split, so a duplicate can never leak from train into test.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from tuneloop.data.example import Example
from tuneloop.data.findings import Finding

SPLITS = ("train", "validation", "test")
TOO_RARE = "too_rare_to_split"


@dataclass(frozen=True)
class Split:
    """The examples by split, and a finding for each label kept in train for want of rows."""

    parts: dict[str, list[Example]]
    findings: list[Finding]


def stratified_split(
    examples: list[Example], validation: float, test: float, seed: int, stratify: bool = True
) -> Split:
    """Per-label shares when `stratify` (classify tasks); one seeded shuffle otherwise (the answers of
    a generate task are free text, so "per label" would make every row its own group)."""
    rng = np.random.default_rng(seed)
    by_label: dict[str | None, dict[str, list[Example]]] = defaultdict(lambda: defaultdict(list))
    for example in examples:
        by_label[example.label if stratify else None][example.id].append(example)
    labels = sorted(by_label, key=str)
    sizes = {label: len(by_label[label]) for label in labels}
    wanted = {"test": test, "validation": validation}
    held_out = sum(1 for share in wanted.values() if share > 0)
    rare = [label for label in labels if stratify and held_out and sizes[label] <= held_out]
    room = {label: 0 if label in rare else sizes[label] - 1 for label in labels}  # one stays in train
    counts: dict[str, dict[str | None, int]] = {}
    for name, share in wanted.items():  # test first, as the rows are dealt below
        counts[name] = allocate(sizes, _rounded(sum(sizes.values()) * share), room)
        room = {label: room[label] - counts[name][label] for label in labels}
    out: dict[str, list[Example]] = {name: [] for name in SPLITS}
    for label in labels:
        groups = list(by_label[label].values())
        n_test, n_val = counts["test"][label], counts["validation"][label]
        for position, index in enumerate(rng.permutation(len(groups))):
            name = "test" if position < n_test else "validation" if position < n_test + n_val else "train"
            out[name].extend(groups[index])
    for name in SPLITS:  # interleave labels; training order is shuffled again by the trainer
        out[name] = [out[name][i] for i in rng.permutation(len(out[name]))]
    only_train = [
        label
        for label in labels
        if stratify and held_out and not counts["test"][label] + counts["validation"][label]
    ]
    return Split(out, [_kept_in_train(label, by_label[label], validation, test) for label in only_train])


def allocate(sizes: dict[str | None, int], target: int, room: dict[str | None, int]) -> dict[str | None, int]:
    """`target` rows dealt to the labels by largest remainders of their quotas (shares of `target`
    in proportion to `sizes`, among the labels with `room`), never more than a label's room."""
    able = [label for label in sizes if room[label] > 0]
    total = sum(sizes[label] for label in able)
    quota = {label: sizes[label] * target / total if total else 0.0 for label in able}
    given = dict.fromkeys(sizes, 0)
    for label in able:
        given[label] = min(math.floor(quota[label]), room[label])
    left = min(target, sum(room[label] for label in able)) - sum(given.values())
    while left > 0:  # the most under-served first (the largest remainders), on a tie the roomiest
        open_ = sorted(
            (label for label in able if given[label] < room[label]),
            key=lambda lb: (given[lb] - quota[lb], given[lb] - room[lb]),
        )
        for label in open_[:left]:
            given[label] += 1
        left -= len(open_[:left])
    return given


def _rounded(x: float) -> int:
    return math.floor(x + 0.5)


def _kept_in_train(
    label: str | None, groups: dict[str, list[Example]], validation: float, test: float
) -> Finding:
    rows = sum(len(copies) for copies in groups.values())
    first = next(iter(groups.values()))[0]
    return Finding(
        TOO_RARE,
        "warning",
        first.source.rpartition(":")[0] or first.source,
        None,
        f"label {label!r} has {rows} row(s), too few for a share of validation ({validation:g}) and "
        f"test ({test:g}): all kept in train, so neither can score it",
        fix="add examples of this label, or merge it into a related one",
    )
