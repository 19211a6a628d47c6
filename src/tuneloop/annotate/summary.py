"""How far the annotators agree, from the store, and whether that is enough to train on.

The report is the input for refining the guidelines: alpha overall and per label with bootstrap
intervals, each annotator against the others (and against the adjudicated gold labels), every pair
of annotators, and the label pairs people split on most, with example texts. The spec's
`annotation.gate` turns it into a verdict: below a threshold, export for training is blocked, and
`drivers` names the labels and annotators that pull agreement down.

Only closed items count: an open item's answers are still blind to each other and incomplete.

A multilabel answer is a set, so there the overall alpha compares whole sets by the MASI distance
(`level: masi`), each label's alpha is that of its own present/absent decision, and the figures per
annotator, per pair and the confused pairs compare exact sets (written as the canonical answer).
An extract task's answer is a record: `per_label` then lists each field's nominal alpha and the
overall alpha pools every (item, field) (`level: fields`, `field_agreement.py`); the figures per
annotator, per pair and the confused pairs compare whole records, and `annotation.gate.label_alpha`
is each field's floor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.alpha import MASI
from tuneloop.annotate.bootstrap import ConfidenceInterval, bootstrap_alpha
from tuneloop.annotate.confusions import confused_pairs
from tuneloop.annotate.field_agreement import Rating, field_alpha, pooled_matrix
from tuneloop.annotate.per_annotator import agreement_per_annotator, pairwise_agreement
from tuneloop.annotate.per_label import members, presence
from tuneloop.annotate.reliability import ReliabilityMatrix
from tuneloop.annotate.store import export_records
from tuneloop.annotate.store.field_answers import record_key
from tuneloop.annotate.store.models import Adjudication, Item
from tuneloop.annotate.store.repository import latest_guidelines
from tuneloop.errors import TuneloopError
from tuneloop.extract.schema import canonical_answer as extraction_answer
from tuneloop.label_text import canonical_answer
from tuneloop.spec import ProjectSpec
from tuneloop.verdict import Verdict

BOOTSTRAP = 500
CONFUSED_LISTED = 10
DRIVERS_LISTED = 5
FIELDS_LEVEL = "fields"  # an extract task's: nominal, per field, the overall alpha pooled over (item, field)


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% bootstrap interval (NaN bounds when it cannot vary)."""

    name: str
    estimate: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, name: str, ci: ConfidenceInterval, n: int | None = None) -> Interval:
        return cls(name, ci.estimate, ci.low, ci.high, ci.n_units if n is None else n)


@dataclass
class AgreementReport:
    items: int
    annotators: list[str]
    ratings: int
    guideline_version: int | None
    alpha: Interval
    per_label: list[Interval]
    per_group: list[Interval]
    per_annotator: list[dict[str, Any]]
    pairs: dict[str, Any]
    confused: list[dict[str, Any]]
    level: str = "nominal"  # of the overall alpha: masi over label sets, fields over records' fields
    gate: list[Verdict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.gate)

    def drivers(self) -> dict[str, list[str]]:
        """The labels and annotators that pull agreement down most, for the blocked-export message."""
        labels = sorted((i for i in self.per_label if not np.isnan(i.estimate)), key=lambda i: i.estimate)
        people = sorted(self.per_annotator, key=lambda a: a["kappa"])
        return {
            "labels": [f"{i.name} (alpha {i.estimate:.2f}, n={i.n})" for i in labels[:DRIVERS_LISTED]],
            "annotators": [
                f"{a['coder']} (kappa {a['kappa']:.2f} vs. the others)" for a in people[:DRIVERS_LISTED]
            ],
            "confused": [
                f"{c['labels'][0]} / {c['labels'][1]} ({c['units']} items)" for c in self.confused[:3]
            ],
        }

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["gate"] = [v.to_dict() for v in self.gate]
        out["passed"] = self.passed
        out["drivers"] = self.drivers()
        return _finite(out)


def agreement_report(session: Session, spec: ProjectSpec, seed: int = 0) -> AgreementReport:
    records = export_records(session, closed_only=True)
    if not records:
        raise TuneloopError("no closed items yet: agreement needs items every annotator has answered")
    texts: dict[Any, str] = {item: text for item, text in session.execute(select(Item.id, Item.text))}
    answer = answer_reader(spec)
    ratings = [(r.item, r.annotator, answer(r.label)) for r in records]
    gold = {item: answer(label) for item, label in _gold(session, {r.item for r in records})}
    if spec.objective.task == "extract":  # records equal field by field are one answer
        same = same_record(spec)
        ratings, gold = [(i, a, same(r)) for i, a, r in ratings], {i: same(r) for i, r in gold.items()}
    multilabel = spec.objective.task == "multilabel"
    whole = multilabel or spec.objective.task == "extract"  # answers rated whole, not one label of a list
    labels = sorted({*(r[2] for r in ratings), *gold.values()}) if whole else spec.label_names
    matrix = ReliabilityMatrix.from_records(ratings, labels=labels)
    per_annotator = agreement_per_annotator(matrix, gold=matrix.gold_vector(gold) if gold else None)
    pairs = pairwise_agreement(matrix)
    if spec.objective.task == "extract":
        level, alpha, per_label = _field_figures(
            spec, [(r.item, r.annotator, r.label) for r in records], seed
        )
    else:
        level = MASI if multilabel else "nominal"
        alpha = Interval.of("alpha", bootstrap_alpha(matrix, level, n_boot=BOOTSTRAP, seed=seed))
        per_label = [
            _binary_alpha(matrix, label, [label], seed)
            for label in spec.label_names
            if label in members(matrix)
        ]
    report = AgreementReport(
        items=len(matrix.units),
        annotators=[str(c) for c in matrix.coders],
        ratings=len(records),
        guideline_version=(g.version if (g := latest_guidelines(session)) else None),
        alpha=alpha,
        per_label=per_label,
        per_group=[
            _binary_alpha(matrix, name, labels, seed) for name, labels in spec.annotation.label_groups.items()
        ],
        per_annotator=[asdict(a) for a in per_annotator],
        pairs={
            "annotators": [str(c) for c in pairs.coders],
            "kappa": pairs.kappa.tolist(),
            "percent": pairs.percent.tolist(),
            "n_items": pairs.n_units.tolist(),
        },
        confused=[
            {
                "labels": [_shown(label) for label in pair.labels],
                "units": pair.units,
                "examples": [texts[unit] for unit in pair.examples],
            }
            for pair in confused_pairs(matrix, top=CONFUSED_LISTED)
        ],
        level=level,
    )
    report.gate = agreement_verdicts(spec, report)
    return report


def answer_reader(spec: ProjectSpec) -> Callable[[Any], Any]:
    """How a stored answer is rated: a label as it is, a label set as a tuple in schema order
    (one value per distinct set, so exact-set figures and the MASI distance see sets), a record as
    its canonical answer (the text its row trains on)."""
    if spec.objective.task == "extract":
        fields = spec.field_schema
        return lambda record: extraction_answer(record, fields)
    if spec.objective.task != "multilabel":
        return lambda label: label
    names = spec.label_names
    return lambda label: tuple(name for name in names if name in set(label))


def same_record(spec: ProjectSpec) -> Callable[[str], str]:
    """Each canonical answer of an extract task as the first one seen that equals it field by
    field (`record_key`: case and spacing of text aside, lists as sets), so figures that compare
    whole answers (kappa, pairs, confused pairs, agreement with the decision) agree with the
    field-by-field consensus."""
    seen: dict[tuple[str, ...], str] = {}
    return lambda answer: seen.setdefault(record_key(spec.field_schema, answer), answer)


def _field_figures(
    spec: ProjectSpec, ratings: list[Rating], seed: int
) -> tuple[str, Interval, list[Interval]]:
    """An extract task's alpha, pooled over every (item, field), and each field's (`field_agreement`)."""
    pooled = pooled_matrix(ratings, spec.field_schema)
    alpha = Interval.of("alpha", bootstrap_alpha(pooled, "nominal", n_boot=BOOTSTRAP, seed=seed))
    per_field = []
    for f in spec.field_schema:
        ci, given = field_alpha(ratings, f, BOOTSTRAP, seed)
        nan = float("nan")
        per_field.append(
            Interval(f.name, nan, nan, nan, given) if ci is None else Interval.of(f.name, ci, given)
        )
    return FIELDS_LEVEL, alpha, per_field


def _shown(label: Any) -> Any:
    return canonical_answer(label) if isinstance(label, tuple) else label


def _binary_alpha(matrix: ReliabilityMatrix, name: str, labels: list[str], seed: int) -> Interval:
    """Alpha of "one of `labels`" against the rest: do people agree on when this label applies?"""
    binary = presence(matrix, labels)
    given = int(np.nansum(binary.values))
    if given == 0 or np.nanmin(binary.values) == np.nanmax(binary.values):
        return Interval(name, float("nan"), float("nan"), float("nan"), given)
    ci = bootstrap_alpha(binary, n_boot=BOOTSTRAP, seed=seed)
    return Interval.of(name, ci, given)


def _gold(session: Session, units: set[Any]) -> list[tuple[Any, Any]]:
    """Adjudicated labels of the rated items: what each annotator is measured against."""
    return [
        (item, label)
        for item, label in session.execute(select(Adjudication.item_id, Adjudication.label))
        if item in units
    ]


def agreement_verdicts(spec: ProjectSpec, report: AgreementReport) -> list[Verdict]:
    """One verdict per `annotation.gate` threshold: alpha overall, of each label and of each label
    group against its floor; an undefined alpha (no variation) fails."""
    gate = spec.annotation.gate
    verdicts = []
    if gate.alpha is not None:
        verdicts.append(_verdict("alpha", gate.alpha, report.alpha.estimate))
    if gate.label_alpha is not None:
        fields = report.level == FIELDS_LEVEL  # a field nobody filled has nothing to judge
        noun = "field" if fields else "label"
        verdicts += [
            _verdict(f"alpha of {noun} {i.name}", gate.label_alpha, i.estimate)
            for i in report.per_label
            if not (fields and i.n == 0)
        ]
    if gate.group_alpha is not None:
        verdicts += [
            _verdict(f"alpha of group {i.name}", gate.group_alpha, i.estimate) for i in report.per_group
        ]
    return verdicts


def _verdict(check: str, threshold: float, actual: float) -> Verdict:
    known = not np.isnan(actual)
    passed = known and actual >= threshold
    return Verdict("agreement", check, passed, actual=actual if known else None, threshold=threshold)


def _finite(value: Any) -> Any:
    """NaN (undefined agreement) as None, so the JSON is valid."""
    if isinstance(value, float):
        return None if np.isnan(value) else value
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
