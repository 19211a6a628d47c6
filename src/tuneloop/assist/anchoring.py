"""Anchoring, measured and bounded: how much showing a suggestion pulls people's answers to it.

Every answer keeps the suggestion its item carried and whether it was on screen (the store's blind
share never shows it). Per label, the anchoring delta is

    P(answer agrees with the suggestion | shown) - P(answer agrees with the suggestion | blind)

with a bootstrap interval (`annotate/bootstrap.py: bootstrap_difference`, each group resampled on
its own). For one label, a label's rows are the answers whose suggestion was that label, and
"agrees" is the answer being it; for label sets every answer counts for every label, and "agrees"
is the answer's decision on the label (in or out) matching the suggestion's. Blind items are chosen
by a hash of their id, so both groups are the same kind of item and the difference is the pull of
the screen. A positive delta alone is not harm: a good suggestion may also make people right more
often. So the gate weighs it against accuracy on gold items (those an expert adjudicated): a
label's suggestions are switched off when it has `min_answers` answers in each group, the lower
bound of its delta exceeds `assist.anchoring.max_delta`, and accuracy against gold on the shown
answers is not above the blind ones' (or cannot be measured). Caveat: answers of one item are
resampled as independent, so the interval is a little narrow where items have many answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tuneloop.annotate.bootstrap import bootstrap_difference
from tuneloop.annotate.project import operator, project_store, task_schema
from tuneloop.annotate.store.models import Adjudication, Annotation, Item, LabelSchema
from tuneloop.annotate.store.suggestions import switch_off
from tuneloop.errors import TuneloopError
from tuneloop.spec import ProjectSpec
from tuneloop.spec.assist import AnchoringSpec

Label = str | tuple[str, ...]


@dataclass(frozen=True)
class Answered:
    """One person's answer to an item that carried a suggestion; `gold`: the item's adjudicated
    label, when an expert decided it."""

    suggested: Label
    answer: Label
    shown: bool
    gold: Label | None = None


def _label(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def answers_with_suggestions(session: Session, schema: LabelSchema) -> list[Answered]:
    """Each annotator's own latest answer (not withdrawn) on the schema's items with a suggestion;
    a reviewer's later correction does not replace what the annotator answered under the screen."""
    latest: dict[tuple[int, int], Annotation] = {}
    rows = session.scalars(
        select(Annotation)
        .join(Item, Item.id == Annotation.item_id)
        .where(Item.label_schema_id == schema.id, Annotation.author_id == Annotation.annotator_id)
        .order_by(Annotation.id)
    )
    for row in rows:
        latest[(row.item_id, row.annotator_id)] = row
    decided = select(Adjudication.item_id, Adjudication.label).join(Item, Item.id == Adjudication.item_id)
    gold: dict[int, Any] = {
        item: label for item, label in session.execute(decided.where(Item.label_schema_id == schema.id))
    }
    return [
        Answered(_label(a.suggestion_label), _label(a.label), a.suggestion_shown, _label(gold.get(a.item_id)))
        for a in latest.values()
        if not a.retracted and a.suggestion_label is not None
    ]


def _outcomes(
    answers: Sequence[Answered], label: str | None, multilabel: bool
) -> dict[bool, tuple[list[bool], list[bool]]]:
    """Per group (shown: True, blind: False): whether each answer agrees with its suggestion, and,
    on gold items, whether it is right. `label` None: the whole answer."""
    groups: dict[bool, tuple[list[bool], list[bool]]] = {True: ([], []), False: ([], [])}
    for a in answers:
        if label is None:
            agree, right = a.answer == a.suggested, None if a.gold is None else a.answer == a.gold
        elif multilabel:
            decided = label in a.answer
            agree = decided == (label in a.suggested)
            right = None if a.gold is None else decided == (label in a.gold)
        elif a.suggested == label:
            agree, right = a.answer == label, None if a.gold is None else a.answer == a.gold
        else:
            continue
        groups[a.shown][0].append(agree)
        if right is not None:
            groups[a.shown][1].append(right)
    return groups


def delta_of(
    answers: Sequence[Answered], label: str | None, multilabel: bool, settings: AnchoringSpec, seed: int
) -> dict[str, Any]:
    """One label's (or, `label` None, the whole answer's) anchoring delta, gold accuracy and verdict."""
    groups = _outcomes(answers, label, multilabel)
    (shown, shown_right), (blind, blind_right) = groups[True], groups[False]
    ci = bootstrap_difference(np.array(shown), np.array(blind), seed=seed)
    gain = float(np.mean(shown_right) - np.mean(blind_right)) if shown_right and blind_right else None
    judged = min(len(shown), len(blind)) >= settings.min_answers
    return {
        "label": label,
        "shown": len(shown),
        "blind": len(blind),
        "agree_shown": float(np.mean(shown)) if shown else None,
        "agree_blind": float(np.mean(blind)) if blind else None,
        "delta": None if np.isnan(ci.estimate) else ci.estimate,
        "low": None if np.isnan(ci.low) else ci.low,
        "high": None if np.isnan(ci.high) else ci.high,
        "gold_answers": len(shown_right) + len(blind_right),
        "gold_accuracy_gain": gain,
        "judged": judged,
        "off": judged and ci.low > settings.max_delta and (gain is None or gain <= 0),
    }


def anchoring_report(
    answers: Sequence[Answered],
    labels: Sequence[str],
    multilabel: bool,
    settings: AnchoringSpec,
    seed: int = 0,
) -> dict[str, Any]:
    """The delta overall and per label (labels with no answer left out), and the labels the gate
    switches off."""
    per_label = [delta_of(answers, label, multilabel, settings, seed) for label in labels]
    per_label = [d for d in per_label if d["shown"] + d["blind"] > 0]
    return {
        "answers": len(answers),
        "shown": sum(a.shown for a in answers),
        "blind": sum(not a.shown for a in answers),
        "overall": delta_of(answers, None, multilabel, settings, seed),
        "labels": per_label,
        "max_delta": settings.max_delta,
        "min_answers": settings.min_answers,
        "switched_off": sorted(d["label"] for d in per_label if d["off"]),
    }


def measure_anchoring(spec: ProjectSpec, apply_gate: bool = True) -> dict[str, Any]:
    """`tuneloop assist anchoring`: the project's report; with `apply_gate`, the schema's
    switched-off labels become the gate's verdict (audited when they change)."""
    if spec.objective.task not in ("classify", "multilabel"):
        raise TuneloopError(
            f"assist anchoring: a {spec.objective.task!r} task takes no suggestions; "
            "only classify and multilabel do"
        )
    store = project_store(spec)
    try:
        with store.begin() as session:
            by = operator(session)
            schema = task_schema(session, spec, by)
            report = anchoring_report(
                answers_with_suggestions(session, schema),
                spec.label_names,
                spec.objective.task == "multilabel",
                spec.assist.anchoring,
                spec.seed,
            )
            report["changed"] = apply_gate and switch_off(session, schema, report["switched_off"], by)
            report["blind_share"] = spec.assist.blind_share
    finally:
        store.close()
    return report


def suggestion_use(session: Session, spec: ProjectSpec) -> dict[str, Any] | None:
    """For the round's report: suggestions made, answers that accepted or changed a shown one, the
    blind answers, the anchoring delta overall and the labels switched off (None: no suggestion
    was ever made). Read only: the gate is applied by `assist anchoring`, not by a report."""
    schema = session.scalar(select(LabelSchema).where(LabelSchema.name == spec.objective.name))
    if schema is None:
        return None
    made = session.scalars(
        select(Item.id).where(Item.label_schema_id == schema.id, Item.suggestion_label.is_not(None))
    ).all()
    answers = answers_with_suggestions(session, schema)
    if not made and not answers:
        return None
    shown = [a for a in answers if a.shown]
    accepted = sum(a.answer == a.suggested for a in shown)
    multilabel = spec.objective.task == "multilabel"
    return {
        "made": len(made),
        "answers": len(answers),
        "shown": len(shown),
        "accepted": accepted,
        "changed": len(shown) - accepted,
        "blind": len(answers) - len(shown),
        "blind_share": spec.assist.blind_share,
        "anchoring": delta_of(answers, None, multilabel, spec.assist.anchoring, spec.seed),
        "switched_off": list(schema.suggestions_off or []),
    }
