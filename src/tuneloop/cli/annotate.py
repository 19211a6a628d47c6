"""`tuneloop annotate ...`: the annotation stage from the command line.

Each command opens the project's store (`annotation.store_url`, SQLite by default), does one thing
through the annotation library's services, and prints a summary (or one JSON object with --json).
The CLI acts as the `cli:<os user>` admin account, so the audit log says who ran it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tuneloop.cli.support import JsonOpt, ProjectArg, emit, guarded, out
from tuneloop.errors import CheckFailed, TuneloopError
from tuneloop.label_text import NO_LABELS

annotate_app = typer.Typer(
    no_args_is_help=True, help="Annotate with standards: import, agree, adjudicate, export."
)

UserOpt = Annotated[str, typer.Option("--user", help="Name of the user acting.")]
FORMATS = ("label-studio", "argilla")
FromNameOpt = Annotated[
    str | None,
    typer.Option(
        "--from-name",
        help="Label Studio: the control whose results are the labels (<Choices name=...>); default label.",
    ),
]
ToNameOpt = Annotated[
    str | None,
    typer.Option(
        "--to-name", help="Label Studio: only results on this object tag (<Text name=...>); default any."
    ),
]
FieldOpt = Annotated[
    str | None,
    typer.Option(
        "--field", help="The text: Label Studio's data key ($text) or Argilla's field; default text."
    ),
]
QuestionOpt = Annotated[
    str | None,
    typer.Option("--question", help="Argilla: the question whose responses are the labels; default label."),
]
#: The options of `annotate import --from`: for each format it applies to, the reader's argument.
READER_OPTIONS = {
    "--from-name": {"label-studio": "from_name"},
    "--to-name": {"label-studio": "to_name"},
    "--field": {"label-studio": "text_field", "argilla": "field"},
    "--question": {"argilla": "question"},
}


@annotate_app.command("import")
@guarded
def annotate_import(
    project: ProjectArg = Path("."),
    part: Annotated[str, typer.Option(help="Which part of the data: train, validation, test.")] = "train",
    limit: Annotated[int | None, typer.Option(help="Only the first N rows of the part.", min=1)] = None,
    source: Annotated[
        Path | None, typer.Option("--from", help="Import annotations from this export file instead.")
    ] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="Format of --from: label-studio (JSON) or argilla.")
    ] = None,
    from_name: FromNameOpt = None,
    to_name: ToNameOpt = None,
    text_field: FieldOpt = None,
    question: QuestionOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Publish the spec's guidelines and import rows of the project's data as items to annotate; or,
    with --from FILE --format label-studio|argilla, items and answers exported by those tools."""
    from tuneloop.annotate.project import import_from_spec, operator, project_store
    from tuneloop.spec import load_spec

    given = {"--from-name": from_name, "--to-name": to_name, "--field": text_field, "--question": question}
    options = _reader_options(source, file_format, given)
    spec = load_spec(project)
    with project_store(spec).begin() as session:
        if source is not None:
            payload = _import_export_file(session, spec, source, str(file_format), options)
        else:
            version, items = import_from_spec(session, spec, part, limit, operator(session))
            payload = {"dataset_version": version.hash, "path": str(version.path), "part": part}
            payload["new_items"] = len(items)
    if json_out:
        emit(payload)
    elif source is not None:
        _print_import(source, payload)
    else:
        new, dataset = payload["new_items"], payload["dataset_version"][:12]
        out.print(f"imported {new} new items from {part} of dataset {dataset}", highlight=False)


def _reader_options(source: Path | None, file_format: str | None, given: dict[str, Any]) -> dict[str, Any]:
    """The reader's keyword arguments from the options given, refusing those that don't apply."""
    used = {name: value for name, value in given.items() if value is not None}
    if source is None:
        if used:
            raise TuneloopError(f"{', '.join(used)}: only with --from FILE --format label-studio|argilla")
        return {}
    if file_format not in FORMATS:
        raise TuneloopError(f"--format: one of {', '.join(FORMATS)} with --from FILE")
    wrong = [name for name in used if file_format not in READER_OPTIONS[name]]
    if wrong:
        raise TuneloopError(
            f"{', '.join(wrong)}: not for --format {file_format} (label-studio reads --from-name, "
            "--to-name and --field; argilla reads --field and --question)"
        )
    return {READER_OPTIONS[name][file_format]: value for name, value in used.items()}


def _import_export_file(
    session: Any, spec: Any, source: Path, file_format: str, options: dict[str, Any]
) -> dict[str, Any]:
    from dataclasses import asdict

    from tuneloop.annotate.interop import import_argilla, import_label_studio
    from tuneloop.annotate.project import operator, publish_spec_guidelines, task_schema

    by = operator(session)
    publish_spec_guidelines(session, spec, by)
    schema = task_schema(session, spec, by)
    reader = import_label_studio if file_format == "label-studio" else import_argilla
    report = reader(session, source, schema, overlap=spec.annotation.overlap, by=by, **options)
    return asdict(report)


def _print_import(source: Path, payload: dict[str, Any]) -> None:
    out.print(
        f"imported {payload['items_added']} items and {payload['annotations_added']} answers from "
        f"{source}; {len(payload['skipped'])} skipped",
        highlight=False,
    )
    for note in payload["notes"]:
        out.print(f"  note: {note}", highlight=False, markup=False)
    for skipped in payload["skipped"][:20]:
        out.print(f"  skipped {skipped['record']}: {skipped['reason']}", highlight=False, markup=False)
    if len(payload["skipped"]) > 20:
        out.print(f"  ... and {len(payload['skipped']) - 20} more (--json lists them all)", highlight=False)


@annotate_app.command("status")
@guarded
def annotate_status(project: ProjectArg = Path("."), json_out: JsonOpt = False) -> None:
    """Items open, closed, in dispute and adjudicated; each annotator's progress; the guideline version."""
    from tuneloop.annotate.project import project_store
    from tuneloop.annotate.status import store_status
    from tuneloop.spec import load_spec

    with project_store(load_spec(project)).begin() as session:
        status = store_status(session)
    if json_out:
        emit(status)
        return
    items = status["items"]
    out.print(
        f"items: {items['total']} ({items['open']} open, {items['closed']} closed, {items['disputed']} in "
        f"dispute, {items['adjudicated']} adjudicated); {guidelines_text(status['guideline_version'])}",
        highlight=False,
    )
    for person in status["annotators"]:
        out.print(
            f"  {person['name']}: {person['submitted']} submitted, {person['open']} open", highlight=False
        )


@annotate_app.command("agreement")
@guarded
def annotate_agreement(project: ProjectArg = Path("."), json_out: JsonOpt = False) -> None:
    """Krippendorff's alpha with its interval, per label, per annotator and pair, the most-confused
    label pairs, and the spec's gate (exit 1 when agreement is below it)."""
    from tuneloop.annotate.project import project_store
    from tuneloop.annotate.summary import agreement_report
    from tuneloop.spec import load_spec

    spec = load_spec(project)
    with project_store(spec).begin() as session:
        report = agreement_report(session, spec)
    if json_out:
        emit(report.to_dict())
    else:
        _print_agreement(report)
    if not report.passed:
        raise CheckFailed("agreement is below annotation.gate: export for training is blocked")


def guidelines_text(version: int | None) -> str:
    """`guidelines v3`, or that none are published yet (not `vNone`)."""
    return "no guidelines published yet" if version is None else f"guidelines v{version}"


def _print_agreement(report: Any) -> None:
    a = report.alpha
    over_sets = {
        "masi": " over label sets (MASI distance)",
        "fields": " over every field of every record",
    }.get(report.level, "")
    out.print(
        f"alpha{over_sets} {a.estimate:.3f} (95% CI {a.low:.3f} to {a.high:.3f}) over {report.items} items, "
        f"{len(report.annotators)} annotators, {guidelines_text(report.guideline_version)}",
        highlight=False,
    )
    for person in report.per_annotator:
        gold = (
            f", {person['gold_accuracy']:.1%} right on the {person['gold_units']} adjudicated items"
            if person.get("gold_accuracy") is not None
            else ""
        )
        out.print(f"  {person['coder']}: kappa {person['kappa']:.3f} vs. the others{gold}", highlight=False)
    if report.level == "fields":
        for f in report.per_label:
            shown = (
                "undefined" if f.estimate != f.estimate else f"{f.estimate:.3f} ({f.low:.3f} to {f.high:.3f})"
            )
            out.print(f"  field {f.name}: alpha {shown}, {f.n} answers with a value", highlight=False)
    for pair in report.confused[:5]:
        out.print(
            f"  confused: {pair['labels'][0]} / {pair['labels'][1]} on {pair['units']} items", highlight=False
        )
    for verdict in report.gate:
        shown = "undefined" if verdict.actual is None else f"{verdict.actual:.3f}"
        state = "passed" if verdict.passed else "FAILED"
        out.print(f"  gate {verdict.gate} >= {verdict.threshold:g}: {shown} {state}", highlight=False)


@annotate_app.command("adjudicate")
@guarded
def annotate_adjudicate(
    project: ProjectArg = Path("."),
    user: UserOpt = "",
    item: Annotated[int | None, typer.Option(help="The item to decide (omit to list the queue).")] = None,
    label: Annotated[
        str | None, typer.Option(help="The gold label (an extract task: the record as JSON).")
    ] = None,
    note: Annotated[str, typer.Option(help="Why this label (kept with the decision).")] = "",
    json_out: JsonOpt = False,
) -> None:
    """List the disputed items USER may adjudicate, with the answers side by side; or set the gold
    label of one (--item ID --label L --note TEXT)."""
    from tuneloop.annotate.project import find_user, project_store
    from tuneloop.annotate.store import adjudicate, disagreements
    from tuneloop.annotate.store.models import Item, User
    from tuneloop.annotate.store.repository import current_annotations, get
    from tuneloop.spec import load_spec

    if not user:
        raise TuneloopError("--user: who adjudicates (a reviewer or admin who did not annotate the item)")
    with project_store(load_spec(project)).begin() as session:
        expert = find_user(session, user)
        if item is None:
            queue = [
                {
                    "item": i.id,
                    "text": i.text,
                    "answers": {
                        session.get(User, a.annotator_id).name: a.label  # type: ignore[union-attr]
                        for a in current_annotations(session, i)
                    },
                }
                for i in disagreements(session, expert)
            ]
            payload: dict[str, Any] = {"queue": queue}
        else:
            if label is None:
                raise TuneloopError("--label: the gold label of the item")
            disputed = get(session, Item, item)
            decision = adjudicate(session, expert, disputed, _gold_answer(disputed, label), note)
            payload = {"item": item, "label": decision.label, "adjudicator": expert.name, "note": note}
    if json_out:
        emit(payload)
    elif item is None:
        for entry in payload["queue"]:
            answers = ", ".join(f"{who}: {what}" for who, what in entry["answers"].items())
            out.print(f"item {entry['item']}: {entry['text']!r} — {answers}", highlight=False, markup=False)
        out.print(f"{len(payload['queue'])} item(s) to adjudicate", highlight=False)
    else:
        out.print(
            f"item {item}: gold label {payload['label']} set by {payload['adjudicator']}", highlight=False
        )


def _gold_answer(item: Any, label: str) -> Any:
    """`--label` as the item takes it: for a multi_label item the labels separated by commas
    (`none` for no label), else the one label (a fields item: the record as JSON); the store checks it."""
    if item.label_schema.kind != "multi_label":
        return label
    names = [name.strip() for name in label.split(",") if name.strip()]
    return [] if names == [NO_LABELS] else names


@annotate_app.command("export")
@guarded
def annotate_export(
    project: ProjectArg = Path("."),
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the new DatasetVersion.")] = Path(
        "annotated"
    ),
    override: Annotated[
        str | None, typer.Option(help="Export although agreement is below the gate; the reason is recorded.")
    ] = None,
    file_format: Annotated[
        str | None,
        typer.Option("--format", help="Write the annotations as a label-studio or argilla file instead."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the project's data with the gold and consensus labels applied as a DatasetVersion, each
    row with how its label was decided; refused (exit 1) when agreement is below the gate. With
    --format label-studio|argilla, write the items and answers for those tools to the file --out."""
    from tuneloop.annotate.gold import export_dataset
    from tuneloop.annotate.project import annotated_dataset, project_store
    from tuneloop.spec import load_spec

    spec = load_spec(project)
    if file_format is not None:
        _export_file(spec, out_dir, file_format, json_out)
        return
    if out_dir.exists() and any(out_dir.iterdir()):
        raise TuneloopError(
            f"--out {out_dir}: exists and is not empty; nothing already stored is overwritten"
        )
    with project_store(spec).begin() as session:
        version = export_dataset(session, spec, annotated_dataset(session, spec), out_dir, override)
    summary = version.manifest["annotation"]
    if json_out:
        emit({"path": str(version.path), "hash": version.hash, **summary})
        return
    decided = ", ".join(f"{how} {n}" for how, n in summary["decided_by"].items())
    out.print(
        f"exported {version.path} (dataset {version.hash[:12]}): {decided}; "
        f"relabelled {summary['relabelled']}",
        highlight=False,
    )


def _export_file(spec: Any, path: Path, file_format: str, json_out: bool) -> None:
    from tuneloop.annotate.interop import export_argilla, export_label_studio
    from tuneloop.annotate.project import project_store

    if file_format not in FORMATS:
        raise TuneloopError(f"--format: one of {', '.join(FORMATS)}")
    if path.exists():
        raise TuneloopError(f"--out {path}: exists; nothing already stored is overwritten")
    written: dict[str, Any]
    with project_store(spec).begin() as session:
        if file_format == "label-studio":
            written = {"tasks": export_label_studio(session, path)}
            written |= _label_studio_config(session, spec, path)
        else:
            written = {"users": export_argilla(session, path)}
    if json_out:
        emit({"path": str(path), "format": file_format, **written})
    else:
        config = f" and its labelling config {written['config']}" if "config" in written else ""
        out.print(f"wrote {path}{config} for {file_format}", highlight=False)


def _label_studio_config(session: Any, spec: Any, path: Path) -> dict[str, str]:
    """The project's labelling config beside a Label Studio export (`<Choices choice="multiple">`
    for a multilabel project, `<Labels>` spans for an extract task), so a Label Studio project made
    from it reads the labels back."""
    from sqlalchemy import select

    from tuneloop.annotate.interop import label_studio_config
    from tuneloop.annotate.store.models import LabelSchema

    schema = session.scalar(select(LabelSchema).where(LabelSchema.name == spec.objective.name))
    if schema is None or schema.kind not in ("single_label", "multi_label", "fields"):
        return {}
    config = path.with_name(f"{path.stem}.label-config.xml")
    config.write_text(label_studio_config(schema), encoding="utf-8")
    return {"config": str(config)}
