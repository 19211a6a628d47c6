"""The report's annotation section: how far the project's annotators agree, read from its store.

Shown when the project's store holds closed items: alpha with its interval and the gate verdicts,
alpha per label with intervals (a plot: the labels people apply least consistently are where the
guidelines need work), an annotator x annotator kappa heatmap, the most-confused label pairs with
example texts, and the guideline version; where a model suggested labels, how many suggestions
were made, accepted and changed, and the anchoring delta against the blind share. For a
multilabel project the alpha is over whole label sets (MASI distance), and a table lists each
label's present/absent alpha, lowest first; for an extract task alpha pools every field of every
record and the table lists each field's. It reflects the store when the report is built, read
from a snapshot (`Store.read`) so that annotators working meanwhile never wait for it. A missing
SQLite file is not created just to find it empty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select

from tuneloop.annotate.project import has_store
from tuneloop.annotate.simulate import SKILL
from tuneloop.annotate.status import store_status
from tuneloop.annotate.store import Store, open_store
from tuneloop.annotate.store.models import User
from tuneloop.annotate.store.repository import closed_items
from tuneloop.annotate.summary import agreement_report
from tuneloop.assist.anchoring import suggestion_use
from tuneloop.report import plots
from tuneloop.spec import ProjectSpec


def annotation_section(spec: ProjectSpec, opened: Store | None = None) -> dict[str, Any] | None:
    """The section's data, from `opened` (the web app's store) or the spec's store."""
    if opened is None and not has_store(spec):
        return None
    store = opened or open_store(spec.store_url)
    try:
        with store.read() as session:
            if not closed_items(session):  # reviews of model outputs are not data labels
                return None
            report = agreement_report(session, spec)
            status = store_status(session)
            suggestions = suggestion_use(session, spec)
            simulated = sorted(
                u.name
                for u in session.scalars(select(User))
                if SKILL in (u.skills or []) and u.name in report.annotators
            )
    finally:
        if opened is None:
            store.close()
    data = report.to_dict()
    return {
        "report": data,
        "status": status,
        "suggestions": suggestions,
        "simulated": simulated,
        "label_plot": plots.label_agreement(
            [(i["name"], i["estimate"], i["low"], i["high"]) for i in data["per_label"]]
        ),
        "label_table": sorted(
            data["per_label"], key=lambda i: (i["estimate"] is None, i["estimate"] or 0.0, i["name"])
        ),
        "pairs_plot": plots.annotator_heatmap(
            data["pairs"]["annotators"], np.array(report.pairs["kappa"], dtype=float)
        ),
    }
