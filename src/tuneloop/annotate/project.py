"""A project's annotation store, set up from its spec: label schema, guidelines, items, the operator.

The CLI acts as a named account, `cli:<os user>` (an admin with no password, so it can never log in
to the web app), so every import, publication or export it makes is attributed in the audit log.
The items come from a `DatasetVersion` prepared from the spec and kept under its content hash in
`<output_dir>/datasets/HASH/`, so an item always points at data that still exists.
"""

from __future__ import annotations

import getpass
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.store import (
    add_label_schema,
    add_user,
    import_items,
    open_store,
    publish_guidelines,
)
from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.models import FIELDS, GuidelineVersion, Item, LabelSchema, User
from tuneloop.annotate.store.names import normal_name
from tuneloop.annotate.store.repository import audit
from tuneloop.data.prepare import prepare_dataset
from tuneloop.data.version import MANIFEST, DatasetVersion
from tuneloop.errors import TuneloopError
from tuneloop.spec import ProjectSpec


def project_store(spec: ProjectSpec) -> Store:
    """The project's store; every annotation command and the web app open it here."""
    return open_store(spec.store_url)


def has_store(spec: ProjectSpec) -> bool:
    """Whether the project has a store to read: a SQLite store whose file exists, or a server's.
    Asking never creates one (opening a store would)."""
    url = spec.store_url
    return not url.startswith("sqlite:///") or Path(url.removeprefix("sqlite:///")).is_file()


def operator(session: Session) -> User:
    """The CLI's own admin account, created on first use."""
    name = f"cli:{getpass.getuser()}"
    user = session.scalar(select(User).where(User.name == name))
    return user if user is not None else add_user(session, name, "admin")


def find_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == normal_name(name)))
    if user is None:
        known = ", ".join(session.scalars(select(User.name).order_by(User.name))) or "none yet"
        raise TuneloopError(f"no user {name!r} in the annotation store (users: {known})")
    return user


def task_schema(session: Session, spec: ProjectSpec, by: User) -> LabelSchema:
    """The schema of the spec's answers: single_label, multi_label with the spec's bounds for a
    multilabel task, fields with the field schema for an extract task. The store keeps one schema
    per `objective.name`; a spec whose labels, kind, bounds, `dispute_masi` or fields changed after
    that schema was stored is refused (its answers were given against the old schema), naming what
    changed, and the store is left as it was. A field's description is guidance, as the guidelines
    are: a new wording is taken (and audited), since no stored answer depends on it."""
    kind, labels, bounds, fields = _schema_of(spec)
    dispute = spec.annotation.dispute_masi if kind == "multi_label" else None
    schema = session.scalar(select(LabelSchema).where(LabelSchema.name == spec.objective.name))
    if schema is None:
        return add_label_schema(
            session,
            spec.objective.name,
            kind,
            labels,
            bounds=bounds,
            dispute_masi=dispute,
            field_schema=fields,
            by=by,
        )
    stored_bounds = (schema.min_labels, schema.max_labels) if schema.kind == "multi_label" else None
    changed = [
        f"{what}: stored {old!r}, the spec says {new!r}"
        for what, old, new in (
            ("kind", schema.kind, kind),
            ("labels", schema.labels, labels),
            ("label bounds", stored_bounds, bounds),
            ("dispute_masi", schema.dispute_masi, dispute),
            ("field schema", _answer_shape(schema.field_schema), _answer_shape(fields)),
        )
        if old != new
    ]
    if changed:
        raise TuneloopError(
            f"the annotation store already holds label schema {schema.name!r}, and the spec no longer "
            f"matches it ({'; '.join(changed)}); its answers were given against the stored choices. "
            "Restore the spec, or set objective.name to a new name to annotate under a new schema "
            "(the store keeps the old one)"
        )
    if fields is not None and schema.field_schema != fields:
        audit(session, by, "label_schema.descriptions", schema, old=schema.field_schema, new=fields)
        schema.field_schema = fields
    return schema


def _answer_shape(fields: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """The field schema less its descriptions: what a stored record was checked against."""
    if fields is None:
        return None
    return [{key: value for key, value in field.items() if key != "description"} for field in fields]


def _schema_of(
    spec: ProjectSpec,
) -> tuple[str, list[str], tuple[int, int] | None, list[dict[str, Any]] | None]:
    """The stored schema's kind, labels, label bounds and field schema that the spec's task asks for."""
    task = spec.objective.task
    if task == "extract":
        return FIELDS, [], None, [f.model_dump() for f in spec.field_schema]
    if task == "multilabel":
        return "multi_label", spec.label_names, spec.label_bounds, None
    return "single_label", spec.label_names, None, None


def publish_spec_guidelines(session: Session, spec: ProjectSpec, by: User) -> GuidelineVersion:
    """The spec's guidelines file as the current version (a new version only when its text changed)."""
    if spec.guidelines is None:
        raise TuneloopError("the spec names no guidelines file; annotators need one (guidelines: FILE)")
    path = spec.guidelines if spec.guidelines.is_absolute() else spec.root / spec.guidelines
    return publish_guidelines(session, path.read_text(encoding="utf-8"), by)


def dataset_for_annotation(spec: ProjectSpec) -> DatasetVersion:
    """The spec's data as a DatasetVersion under `<output_dir>/datasets/HASH/` (reused when present)."""
    home = spec.output_path / "datasets"
    home.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".preparing-", dir=home))
    try:
        version = prepare_dataset(spec, scratch / "version")
        target = home / version.hash
        if not target.exists():
            (scratch / "version").rename(target)
        return DatasetVersion.load(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def annotated_dataset(session: Session, spec: ProjectSpec) -> DatasetVersion:
    """The DatasetVersion the newest closed items were imported from, as kept under its hash: an
    export applies the decisions to the rows people saw, even when the data changed since."""
    digest = session.scalar(
        select(Item.dataset_version)
        .where(Item.closed_at.is_not(None), Item.dataset_version.is_not(None))
        .order_by(Item.id.desc())
        .limit(1)
    )
    if digest is None:
        raise TuneloopError("no closed items from the project's data yet: nothing to export")
    path = spec.output_path / "datasets" / digest
    if not (path / MANIFEST).is_file():
        raise TuneloopError(f"{path}: the dataset version the annotated items came from is missing")
    return DatasetVersion.load(path)


def import_from_spec(
    session: Session, spec: ProjectSpec, part: str, limit: int | None, by: User
) -> tuple[DatasetVersion, list[Item]]:
    """Items for `part` of the spec's data (its first `limit` rows), with the schema and guidelines."""
    publish_spec_guidelines(session, spec, by)
    schema = task_schema(session, spec, by)
    version = dataset_for_annotation(spec)
    items = import_items(session, version, part, schema, overlap=spec.annotation.overlap, limit=limit, by=by)
    return version, items
