"""The store's decided labels for the next round's training data, with who decided them.

`tuneloop run` and `tuneloop train` call `training_gold` before they prepare data, so what people
labelled and adjudicated is trained on without an export-then-edit-the-spec step. An item's label
is decided as the export decides it (`gold.decide_items`): an adjudicator's gold label is used as
`adjudicated`; the annotators' consensus (unanimous, majority or Dawid-Skene) as `agreed`, and only
while agreement passes the spec's gate (`annotation.gate`), since a consensus of people who do not
agree is not evidence. A tie waiting for adjudication is withheld. The labels go down to the data
stage as values (`data/gold.py: GoldLabel`), which applies them; an item routed from the model's
use (`tuneloop round next`) carries its origin along, so the data's provenance can name it.

A project without a store (no `annotations.db` file, no `annotation.store_url`) costs nothing: no
store is opened or created, and the round prepares its data as before.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from tuneloop.annotate.gold import decide_items
from tuneloop.annotate.project import has_store, project_store
from tuneloop.annotate.store.items import item_origin
from tuneloop.annotate.store.models import Item, LabelSchema
from tuneloop.annotate.summary import agreement_report
from tuneloop.data.gold import GoldLabel, GoldLabels
from tuneloop.spec import ProjectSpec

AGREED = ("unanimous", "majority", "dawid_skene")


def training_gold(spec: ProjectSpec) -> GoldLabels | None:
    """The decided labels of the spec's schema, or None when there is nothing to apply (turned off
    by `annotation.gold_feeds_training: false`, no store, or no closed item of the schema)."""
    if not spec.annotation.gold_feeds_training or not has_store(spec):
        return None
    store = project_store(spec)
    try:
        with store.read() as session:
            items = {
                item.id: item
                for item in session.scalars(
                    select(Item)
                    .join(LabelSchema, LabelSchema.id == Item.label_schema_id)
                    .where(LabelSchema.name == spec.objective.name, Item.closed_at.is_not(None))
                )
            }
            decisions = decide_items(session, spec, items) if items else {}
            if not decisions:
                return None
            agreed = any(d["decided_by"] in AGREED for d in decisions.values())
            gate_passed = agreement_report(session, spec).passed if agreed else True
    finally:
        store.close()
    return _labels(items, decisions, gate_passed)


def _labels(items: dict[int, Item], decisions: dict[int, dict[str, Any]], gate_passed: bool) -> GoldLabels:
    labels, withheld = [], Counter[str]()
    for item_id, decision in sorted(decisions.items()):
        how = decision["decided_by"]
        if decision["label"] is None:
            withheld["tied"] += 1
        elif how in AGREED and not gate_passed:
            withheld["agreed_below_gate"] += 1
        else:
            kind, who, versions = (
                ("adjudicated", (decision["adjudicator"],), (decision["adjudication_guideline_version"],))
                if how == "adjudicated"
                else ("agreed", tuple(sorted(decision["agreeing"])), tuple(decision["guideline_versions"]))
            )
            item = items[item_id]
            origin = item_origin(item.source_key)
            labels.append(GoldLabel(item_id, item.text, decision["label"], kind, who, versions, origin))
    return GoldLabels(labels, dict(withheld), gate_passed)
