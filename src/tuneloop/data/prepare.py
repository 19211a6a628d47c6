"""Prepare: ingest every source, split, and write one `DatasetVersion`.

With `splits.files` the test set (and the validation set, where it names one) comes from its own
file (ingested with the same rules); otherwise they are stratified fractions of the sources
(iterative stratification for a multilabel task, data/multilabel_split.py). Unlabeled domain text
(`data.unlabeled`) is read with the same rules, minus the label, into its own part, less the
held-out general set. A generate task's rows are grouped by input first (data/references.py),
so every split holds whole inputs with all their references. People's decided labels from the
annotation store (`data/gold.py`), when the round hands them down, are applied to the split rows
before the quality policy runs.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from tuneloop.data.example import Example
from tuneloop.data.gold import GoldLabels, apply_gold, write_provenance
from tuneloop.data.ingest import IngestResult, ingest_source, ingest_sources
from tuneloop.data.multilabel_split import iterative_split
from tuneloop.data.references import group_references
from tuneloop.data.split import stratified_split
from tuneloop.data.version import DatasetVersion, write_dataset_version
from tuneloop.spec import ProjectSpec
from tuneloop.task_card import TaskCard


def prepare_dataset(spec: ProjectSpec, path: Path, gold: GoldLabels | None = None) -> DatasetVersion:
    """Read, split, apply the gold labels (when given, even none), then the spec's `quality:` policy
    (data/prepare_policy.py), and write the version; the gold labels' provenance goes beside it."""
    from tuneloop.data.prepare_policy import apply_policy  # the checks import this module's reader

    result, splits = read_and_split(spec)
    applied = None if gold is None else apply_gold(splits, gold, spec.system_prompt)
    if applied is not None:
        splits = applied.parts
        result.read += applied.summary()["added"]  # an added row is read from the store
    policy = apply_policy(spec, result, splits)
    version = write_dataset_version(
        policy.parts,
        policy.quarantined,
        result.read,
        path,
        policy.findings,
        {**policy.manifest(), **({"gold": applied.summary()} if applied is not None else {})},
        copies=sum(policy.actions.get("rebalance_upsampled", {}).values()),
    )
    if applied is not None:
        write_provenance(path, applied.provenance)
    return version


def read_and_split(spec: ProjectSpec) -> tuple[IngestResult, dict[str, list[Example]]]:
    """Every row read, and the kept ones by part: train, validation, test and unlabeled."""
    card = TaskCard.from_spec(spec)
    result = grouped(ingest_sources(spec.data.sources, card, spec.root, spec.trains_source_preferences), card)
    files = spec.splits.files
    parts: dict[str, list[Example]]
    if files is None:
        parts = _split(spec, result, result.examples, spec.splits.test)
    else:
        test = grouped(ingest_source(files.test, card, spec.root), card)
        if files.validation is None:  # validation: a share of the sources, as without files
            parts = _split(spec, result, result.examples, 0.0)
            parts["test"] = test.examples
        else:
            validation = grouped(ingest_source(files.validation, card, spec.root), card)
            parts = {"train": list(result.examples), "validation": validation.examples, "test": test.examples}
            result.extend(validation)
        result.extend(test)
    unlabeled = ingest_sources(spec.data.unlabeled, replace(card, task="text"), spec.root)
    parts["unlabeled"], parts["general"] = hold_out_general(
        unlabeled.examples, spec.data.general_rows, spec.seed
    )
    result.extend(unlabeled)
    return result, parts


def grouped(result: IngestResult, card: TaskCard) -> IngestResult:
    """A generate task's rows grouped by input, several references each (data/references.py);
    the rows that only repeated a reference go to the quarantine. Other tasks are left as read."""
    if card.task != "generate":
        return result
    result.examples, repeated = group_references(result.examples)
    result.quarantined.extend(repeated)
    return result


def _split(
    spec: ProjectSpec, result: IngestResult, examples: list[Example], test: float
) -> dict[str, list[Example]]:
    """Validation (and test) as shares of `examples`: iterative stratification for a multilabel
    task, per label for classify, one shuffle otherwise. Labels a held-out split lacks are noted."""
    if spec.objective.task == "multilabel":
        split = iterative_split(examples, spec.splits.validation, test, spec.seed)
    else:
        classify = spec.objective.task == "classify"
        split = stratified_split(examples, spec.splits.validation, test, spec.seed, stratify=classify)
    result.notes.extend(split.findings)  # checked and reported like notes
    return split.parts


def hold_out_general(texts: list[Example], rows: int, seed: int) -> tuple[list[Example], list[Example]]:
    """Keep `rows` of the unlabeled text (at most a tenth, seeded) out of training: the general set.

    Copies of one text stay on one side, as in the task splits, so the general set stays unseen."""
    groups: dict[str, list[Example]] = {}
    for example in texts:
        groups.setdefault(example.id, []).append(example)
    wanted = min(rows, len(texts) // 10)
    kept: list[Example] = []
    held: list[Example] = []
    ordered = list(groups.values())
    for index in np.random.default_rng(seed).permutation(len(ordered)):
        group = ordered[index]
        (held if len(held) + len(group) <= wanted else kept).extend(group)
    return kept, held
