"""From annotations to training data: decide each item's label and write a DatasetVersion.

A closed item's label is, in order: the adjudicated gold label; otherwise the consensus of its
annotators (`annotation.consensus`: majority vote, or Dawid-Skene, which weighs annotators by their
estimated reliability). A majority tie without adjudication is not decided; the row keeps its
source label and says so. Rows nobody annotated keep their source label too, so the export is the
project's data with every annotation decision applied, never a silently smaller set.

Every row's decision is recorded in `label_provenance.jsonl` beside the version: how its label was
decided, the share of annotators who gave it, who annotated, the guideline version, and the source
label it replaced. The export is refused (`CheckFailed`) when agreement is below the spec's gate,
with the labels and annotators that drive the disagreement, unless a reason to override is given;
the override and its reason are then recorded in the manifest.

A multilabel item's label is a set: its consensus is decided per label (`consensus.majority_set`,
or Dawid-Skene per label), and the row takes the set in schema order with its canonical answer.
An extract task's record is decided per field (`field_consensus.py`) and the row takes its
canonical JSON answer.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.consensus import dawid_skene, dawid_skene_sets, majority_set, majority_vote
from tuneloop.annotate.field_consensus import field_consensus
from tuneloop.annotate.reliability import ReliabilityMatrix
from tuneloop.annotate.store import export_records
from tuneloop.annotate.store.models import Adjudication, GuidelineVersion, Item, User
from tuneloop.annotate.summary import AgreementReport, agreement_report, answer_reader, same_record
from tuneloop.data.example import Example
from tuneloop.data.gold import answer_text, relabel, write_provenance
from tuneloop.data.version import MANIFEST, PARTS, DatasetVersion, write_dataset_version
from tuneloop.errors import CheckFailed, TuneloopError
from tuneloop.spec import ProjectSpec


def export_dataset(
    session: Session,
    spec: ProjectSpec,
    source: DatasetVersion,
    out_dir: Path,
    override: str | None = None,
) -> DatasetVersion:
    """The source version with the annotation decisions applied, written to `out_dir`."""
    report = agreement_report(session, spec)
    if not report.passed and override is None:
        raise CheckFailed(_blocked(report))
    decisions = decide(session, spec, source.hash)
    parts: dict[str, list[Example]] = {}
    provenance = []
    for part in PARTS:
        rows = []
        for row, example in enumerate(source.split(part)):
            decision = decisions.get((part, row))
            if decision is None:
                rows.append(example)
                continue
            label = decision["label"]
            relabelled = label is not None and answer_text(label) != example.label
            new = relabel(example, label) if relabelled else example
            rows.append(new)
            provenance.append(
                {"id": new.id, "part": part, "row": row, "source_label": example.label, **decision}
            )
        parts[part] = rows
    version = write_dataset_version(parts, [], read=sum(len(r) for r in parts.values()), path=out_dir)
    write_provenance(out_dir, provenance)
    version.manifest["annotation"] = {
        "source_version": source.hash,
        "decided_by": dict(Counter(p["decided_by"] for p in provenance)),
        "relabelled": sum(
            1 for p in provenance if p["label"] is not None and answer_text(p["label"]) != p["source_label"]
        ),
        "agreement": {"alpha": report.alpha.estimate, "low": report.alpha.low, "high": report.alpha.high},
        "gate_passed": report.passed,
        **({"override": override} if override is not None else {}),
    }
    (out_dir / MANIFEST).write_bytes(orjson.dumps(version.manifest, option=orjson.OPT_INDENT_2))
    return version


def decide(session: Session, spec: ProjectSpec, dataset_hash: str) -> dict[tuple[str, int], dict[str, Any]]:
    """Each closed item of the dataset version, by (part, row): its label and how it was decided."""
    items = {
        item.id: item
        for item in session.scalars(
            select(Item).where(Item.dataset_version == dataset_hash, Item.closed_at.is_not(None))
        )
    }
    if not items:
        raise TuneloopError(f"no closed items from dataset version {dataset_hash[:12]}: nothing to export")
    return {
        (items[item_id].part or "", items[item_id].row_id or 0): decision
        for item_id, decision in decide_items(session, spec, items).items()
    }


def decide_items(session: Session, spec: ProjectSpec, items: dict[int, Item]) -> dict[int, dict[str, Any]]:
    """Each of `items` (closed, by id) that has answers or an adjudication: its label and how it was
    decided. An adjudicated one also names its adjudicator and its guideline version."""
    answer = answer_reader(spec)
    votes: dict[int, list[tuple[str, Any, int]]] = defaultdict(list)
    for record in export_records(session, closed_only=True):
        if record.item in items:
            votes[record.item].append((record.annotator, answer(record.label), record.guideline_version))
    gold = {
        item_id: (answer(label), adjudicator, version)
        for item_id, label, adjudicator, version in session.execute(
            select(Adjudication.item_id, Adjudication.label, User.name, GuidelineVersion.version)
            .join(User, User.id == Adjudication.adjudicator_id)
            .join(GuidelineVersion, GuidelineVersion.id == Adjudication.guideline_version_id)
        )
        if item_id in items
    }
    consensus = _consensus(spec, votes) if votes else {}
    same = same_record(spec) if spec.objective.task == "extract" else _as_given
    decisions = {}
    for item_id in sorted(votes.keys() | gold.keys()):
        answers = votes.get(item_id, [])  # none: a reviewed label issue of a row nobody annotated
        adjudicated = {}
        if item_id in gold:
            label, adjudicator, version = gold[item_id]
            how = "adjudicated"
            adjudicated = {"adjudicator": adjudicator, "adjudication_guideline_version": version}
        else:
            label, how = consensus[item_id]
        given = [same(a[1]) for a in answers]
        decided = same(label) if label is not None else None
        decisions[item_id] = {
            "label": label,
            "decided_by": how,
            "agreement": (given.count(decided) / len(given)) if decided is not None and given else None,
            "annotators": sorted(a[0] for a in answers),
            "agreeing": sorted(a[0] for a, g in zip(answers, given, strict=True) if g == decided),
            "guideline_versions": sorted({a[2] for a in answers}),
            **adjudicated,
        }
    return decisions


def _as_given(answer: Any) -> Any:
    return answer


def _consensus(spec: ProjectSpec, votes: dict[int, list[tuple[str, Any, int]]]) -> dict[int, tuple[Any, str]]:
    if spec.objective.task == "extract":
        return field_consensus(spec.field_schema, votes, dawid=spec.annotation.consensus == "dawid_skene")
    multilabel = spec.objective.task == "multilabel"
    matrix = ReliabilityMatrix.from_records(
        [(item, annotator, label) for item, answers in votes.items() for annotator, label, _ in answers],
        labels=None if multilabel else spec.label_names,
    )
    in_order = answer_reader(spec)  # the per-label results come sorted by name
    out: dict[int, tuple[Any, str]] = {}
    for vote in majority_set(matrix) if multilabel else majority_vote(matrix):
        unanimous = vote.votes == vote.n_ratings
        how = (
            "unanimous"
            if unanimous
            else "majority"
            if vote.label is not None
            else "tie: awaiting adjudication"
        )
        label = in_order(vote.label) if multilabel and vote.label is not None else vote.label
        out[int(vote.unit)] = (label, how)  # type: ignore[call-overload]
    if spec.annotation.consensus == "dawid_skene":
        if multilabel:
            model = dawid_skene_sets(matrix)
        else:
            estimate = dawid_skene(matrix)
            model = dict(zip(estimate.units, estimate.label, strict=True))
        for unit, label in model.items():
            if out[int(unit)][1] != "unanimous" and label is not None:  # type: ignore[call-overload]
                out[int(unit)] = (in_order(label) if multilabel else label, "dawid_skene")  # type: ignore[call-overload]
    return out


def _blocked(report: AgreementReport) -> str:
    failed = "; ".join(
        f"{v.gate} {'undefined' if v.actual is None else format(v.actual, '.3f')} < {v.threshold:g}"
        for v in report.gate
        if not v.passed
    )
    drivers = report.drivers()
    return (
        f"annotation agreement is below the gate ({failed}), so the labels are not exported for training. "
        f"Lowest labels: {', '.join(drivers['labels']) or 'none'}. "
        f"Least agreeing annotators: {', '.join(drivers['annotators']) or 'none'}. "
        f"Most confused pairs: {', '.join(drivers['confused']) or 'none'}. "
        "Refine the guidelines for these labels and re-annotate, or export anyway with "
        "--override REASON (recorded in the manifest)."
    )
