"""Prepare: ingest every source, split, and write one `DatasetVersion`.

With `splits.files` the validation and test sets come from their own files (ingested with the
same rules); otherwise they are stratified fractions of the sources.
"""

from __future__ import annotations

from pathlib import Path

from tuneloop.data.example import Example
from tuneloop.data.ingest import IngestResult, ingest_source, ingest_sources
from tuneloop.data.split import stratified_split
from tuneloop.data.version import DatasetVersion, write_dataset_version
from tuneloop.spec import ProjectSpec
from tuneloop.task_card import TaskCard


def prepare_dataset(spec: ProjectSpec, path: Path) -> DatasetVersion:
    result, splits = read_and_split(spec)
    return write_dataset_version(splits, result.quarantined, result.read, path)


def read_and_split(spec: ProjectSpec) -> tuple[IngestResult, dict[str, list[Example]]]:
    card = TaskCard.from_spec(spec)
    result = ingest_sources(spec.data.sources, card, spec.root)
    files = spec.splits.files
    if files is None:
        return result, stratified_split(result.examples, spec.splits.validation, spec.splits.test, spec.seed)
    train = list(result.examples)
    validation, test = (
        ingest_source(files.validation, card, spec.root),
        ingest_source(files.test, card, spec.root),
    )
    result.extend(validation)
    result.extend(test)
    return result, {"train": train, "validation": validation.examples, "test": test.examples}
