"""The three kinds of evidence that a label's guideline needs work, each read apart, per label.

- **corrections**: an answer somebody corrected, served (a client's `correction` on
  `POST /v1/feedback`, read by `served_log`) or reviewed (`RUN/review/candidates.jsonl`, what
  `tuneloop review results` keeps). A correction counts for the label answered and for the label
  corrected to (for label sets, every label in one set and not the other): both sides of the
  boundary the guideline failed to draw. A correction that names no label counts for the answer.
- **disagreements**: closed items of the store whose annotators split on the label (gave it and
  did not; `annotate/per_label.presence`), with the label pairs most confused
  (`annotate/confusions.confused_pairs`) and each label's present/absent alpha
  (`annotate/per_label.alpha_per_label`).
- **drift**: how far the label's share of the served answers moved from training in the latest
  `tuneloop monitor` check (`monitor.json`'s `labels.moved`, the absolute change in share).

Each reader returns `Evidence`: counts per label, examples per label (input texts with what
happened to them), and a note saying why there is none when there is none.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from tuneloop.annotate.confusions import confused_pairs
from tuneloop.annotate.per_label import alpha_per_label, presence
from tuneloop.annotate.reliability import ReliabilityMatrix
from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.export import export_records
from tuneloop.annotate.store.models import Item
from tuneloop.annotate.summary import answer_reader
from tuneloop.errors import TuneloopError
from tuneloop.feedback.next_round import as_label, candidates
from tuneloop.feedback.served_log import ServedRow
from tuneloop.label_text import canonical_answer
from tuneloop.run_dir import latest_monitor, runs_in
from tuneloop.spec import ProjectSpec

EXAMPLES = 3
PAIRS_LISTED = 20


@dataclass
class Evidence:
    """One signal per label: how much (`counts`), a few inputs to show, and why it is empty."""

    counts: dict[str, float] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    note: str | None = None
    pairs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    alpha: dict[str, float | None] = field(default_factory=dict)

    def add(self, label: str, amount: float, example: str | None) -> None:
        self.counts[label] = self.counts.get(label, 0) + amount
        if example is not None and len(self.examples[label]) < EXAMPLES:
            self.examples[label].append(example)


def _as_set(spec: ProjectSpec, value: Any) -> set[str] | None:
    """An answer as the set of labels it gives (one for classify); None when it names no label."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    label = as_label(spec, str(value))
    if label is None:
        return None
    return set(label) if isinstance(label, list) else {label}


def _shown(spec: ProjectSpec, labels: set[str] | None, fallback: str) -> str:
    """An answer as the evaluation writes it (a set in schema order); a text that names no label
    as it was given."""
    if labels is None:
        return repr(fallback)
    return canonical_answer(tuple(name for name in spec.label_names if name in labels))


def _correct(found: Evidence, spec: ProjectSpec, text: str, answered: Any, corrected: Any) -> None:
    """Count one correction for the labels on either side of it."""
    before, after = _as_set(spec, answered), _as_set(spec, corrected)
    both = before is not None and after is not None
    involved = (before or set()) ^ (after or set()) if both else (before or after or set())
    shown = (_shown(spec, before, str(answered)), _shown(spec, after, str(corrected)))
    example = f"{text!r}: {shown[0]} → {shown[1]}"
    for label in sorted(involved):
        found.add(label, 1, example)


def corrections(spec: ProjectSpec, served: list[ServedRow] | None) -> Evidence:
    """Served answers clients corrected (`served`: the store's log, None without a store) and
    outputs the human review corrected."""
    found = Evidence()
    for row in served or []:
        fixes = [r.correction for r in row.ratings if r.correction]
        if fixes and row.labels is not None:
            _correct(found, spec, row.text, list(row.labels), fixes[-1])
    reviewed = [c for run in runs_in(spec.output_path) for c in candidates(run)]
    for line in reviewed:
        _correct(found, spec, str(line["text"]), line.get("model_output"), line["label"])
    if not found.counts:
        where = "no store" if served is None else f"{len(served)} served answers"
        found.note = f"no corrections ({where}; {len(reviewed)} output-review corrections)"
    return found


def disagreements(spec: ProjectSpec, store: Store | None) -> Evidence:
    """Closed items whose annotators split on each label, and the pairs they split between."""
    found = Evidence()
    if store is None:
        found.note = "no annotation store"
        return found
    with store.read() as session:
        records = export_records(session, closed_only=True)
        texts = {i: t for i, t in session.execute(select(Item.id, Item.text)).tuples()}
    if not records:
        found.note = "no closed items in the store"
        return found
    answer = answer_reader(spec)
    matrix = ReliabilityMatrix.from_records([(r.item, r.annotator, answer(r.label)) for r in records])
    for label in spec.label_names:
        _disputed(found, matrix, label, texts)
    _pairs(found, matrix, texts)
    for agreement in _alphas(matrix):
        found.alpha[str(agreement.label)] = None if np.isnan(agreement.alpha) else agreement.alpha
    if not found.counts:
        found.note = f"annotators agreed on all {len(matrix.units)} closed items"
    return found


def _disputed(found: Evidence, matrix: ReliabilityMatrix, label: str, texts: dict[Any, str]) -> None:
    binary = presence(matrix, [label]).values
    for column, unit in enumerate(matrix.units):
        given = binary[:, column][~np.isnan(binary[:, column])]
        if len(given) > 1 and given.min() != given.max():
            found.add(label, 1, repr(texts.get(unit, str(unit))))


def _pairs(found: Evidence, matrix: ReliabilityMatrix, texts: dict[Any, str]) -> None:
    """Each confused pair, listed under every label it splits (for label sets, the labels in one
    set and not the other)."""
    for pair in confused_pairs(matrix, top=PAIRS_LISTED):
        a, b = pair.labels
        sets = [set(x) if isinstance(x, tuple) else {x} for x in (a, b)]
        shown = [canonical_answer(x) if isinstance(x, tuple) else str(x) for x in (a, b)]
        for label in sorted(sets[0] ^ sets[1]):
            found.pairs[str(label)].append(f"{shown[0]} / {shown[1]} ({pair.units} items)")


def _alphas(matrix: ReliabilityMatrix) -> list[Any]:
    try:
        return alpha_per_label(matrix)
    except TuneloopError:  # too few pairable ratings: no alpha, the counts still stand
        return []


def drift(spec: ProjectSpec, served: list[ServedRow] | None) -> Evidence:
    """How far each label's share of the answers moved in the latest monitor check."""
    found = Evidence()
    check = latest_monitor(spec.output_path)
    if check is None:
        found.note = "no `tuneloop monitor` check yet"
        return found
    labels = check.get("labels") or {}
    if labels.get("status") != "tested":
        found.note = f"the latest monitor check did not test the labels ({labels.get('status', 'absent')})"
        return found
    texts = _served_texts(served or [])
    for moved in labels.get("moved") or []:
        change = abs(float(moved["served_share"]) - float(moved["training_share"]))
        if change > 0:
            label = str(moved["label"])
            found.counts[label] = change
            found.examples[label] = texts.get(label, [])[:EXAMPLES]
    if not found.counts:
        found.note = "no label's share moved in the latest monitor check"
    return found


def _served_texts(served: list[ServedRow]) -> dict[str, list[str]]:
    """Served inputs by the label they were answered with, the latest first."""
    out: dict[str, list[str]] = defaultdict(list)
    for row in reversed(served):
        for label in row.labels or ():
            out[label].append(repr(row.text))
    return out
