"""People's decided labels applied to a round's rows, before the quality policy sees them.

The annotation store decides labels (an adjudicator's gold label, or the annotators' agreement);
this module is what the data stage does with them, handed down as values (`GoldLabel`) because
data comes before annotate in the pipeline. Each decided label is matched to the rows whose input
text is the item's text, both normalised as `quality.normalise` writes them (`clean_text`: the
store holds the normalised text people saw, the sources may not):

- a row in any split (train, validation or test) takes the decided label in place of its source
  label (`overridden`), or keeps it when the two agree (`unchanged`). A row never changes split:
  a gold label may correct a test row's label, and the row stays a test row;
- a decided text that no labelled row holds is `added` to the train split, as a new row built
  through the task template. It then meets the quality policy like any row, so an added text that
  repeats (or nearly repeats) a validation or test input is quarantined as leakage, never trained.

Every applied label is recorded per row (`label_provenance.jsonl` beside the version) with how it
was decided (`adjudicated` or `agreed`), who decided it (the adjudicator, or the agreeing
annotators), the guideline versions, the source label it replaced and, for an input that came
back from the model's use (`tuneloop round next`), its `origin`; the manifest's `gold` key counts
the rows each kind changed and the rows per origin (`by_origin`), the lineage the report shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from tuneloop.data.example import Example, build_messages
from tuneloop.data.normalise import clean_text
from tuneloop.label_text import canonical_answer

PROVENANCE = "label_provenance.jsonl"
LABELLED_PARTS = ("train", "validation", "test")
KINDS = ("adjudicated", "agreed")
CHANGES = ("overridden", "added", "unchanged")


@dataclass(frozen=True)
class GoldLabel:
    """One item's decided label: a label, or a label set in schema order (a multilabel task)."""

    item: int  # the store's item id
    text: str  # the input the label is for
    label: str | tuple[str, ...]
    kind: str  # adjudicated | agreed
    by: tuple[str, ...]  # the adjudicator, or the annotators who gave the label
    guideline_versions: tuple[int, ...]
    origin: str | None = None  # feedback_correction, thumbs_down, ...: routed from the model's use


@dataclass(frozen=True)
class GoldLabels:
    """What the store hands the round: the labels to apply, the counts of decisions withheld (a tie
    awaiting adjudication, a consensus while agreement is below the gate), and that gate."""

    labels: list[GoldLabel]
    withheld: dict[str, int]
    agreement_gate_passed: bool


@dataclass
class GoldApplied:
    """The parts with the gold labels applied, one provenance record per touched row, the counts."""

    parts: dict[str, list[Example]]
    provenance: list[dict[str, Any]]
    gold: GoldLabels

    def summary(self) -> dict[str, Any]:
        """The manifest's `gold` key: rows per change, per kind, and per part."""
        return {
            **{change: sum(p["change"] == change for p in self.provenance) for change in CHANGES},
            "by_kind": {
                kind: dict(Counter(p["change"] for p in self.provenance if p["decided_by"] == kind))
                for kind in KINDS
            },
            "by_part": dict(Counter(p["part"] for p in self.provenance if p["change"] != "unchanged")),
            "by_origin": {
                origin: dict(Counter(p["change"] for p in self.provenance if p.get("origin") == origin))
                for origin in sorted({p["origin"] for p in self.provenance if p.get("origin")})
            },
            "withheld": self.gold.withheld,
            "agreement_gate_passed": self.gold.agreement_gate_passed,
        }


def answer_text(label: str | Sequence[str]) -> str:
    """A decided label as the row's answer text: a label set as its canonical answer."""
    return canonical_answer(tuple(label)) if isinstance(label, tuple | list) else str(label)


def relabel(example: Example, label: str | Sequence[str]) -> Example:
    """The row with `label` as its answer (and its label set, on a multilabel row); a new id."""
    text = answer_text(label)
    labels = tuple(label) if example.labels is not None else None
    messages = [*example.messages[:-1], {"role": "assistant", "content": text}]
    return replace(example, messages=messages, label=text, labels=labels, id="")


def apply_gold(parts: dict[str, list[Example]], gold: GoldLabels, system: str | None) -> GoldApplied:
    """`parts` with each gold label applied to the rows of its text, or added to train. A text
    decided twice (two items of one input) with different labels is withheld, counted as
    `conflicting_texts`: neither decision wins silently."""
    decided_labels: dict[str, set[str]] = {}
    for g in gold.labels:
        decided_labels.setdefault(clean_text(g.text), set()).add(answer_text(g.label))
    conflicting = {text for text, found in decided_labels.items() if len(found) > 1}
    by_text = {key: g for g in gold.labels if (key := clean_text(g.text)) not in conflicting}
    if conflicting:
        gold = replace(gold, withheld={**gold.withheld, "conflicting_texts": len(conflicting)})
    out = dict(parts)
    provenance: list[dict[str, Any]] = []
    matched: set[str] = set()
    for part in LABELLED_PARTS:
        rows = []
        for example in parts.get(part, []):
            decided = by_text.get(clean_text(example.text))
            if decided is None or example.label is None:
                rows.append(example)
                continue
            matched.add(clean_text(example.text))
            changed = answer_text(decided.label) != example.label
            new = relabel(example, decided.label) if changed else example
            rows.append(new)
            provenance.append(_record(new, part, example.label, decided, changed and "overridden"))
        out[part] = rows
    for key, decided in by_text.items():
        if key not in matched:
            added = _added_row(decided, system)
            out["train"] = [*out["train"], added]
            provenance.append(_record(added, "train", None, decided, "added"))
    return GoldApplied(out, provenance, gold)


def _added_row(decided: GoldLabel, system: str | None) -> Example:
    text = answer_text(decided.label)
    labels = decided.label if isinstance(decided.label, tuple) else None
    messages = build_messages(decided.text, text, system)
    return Example(messages=messages, label=text, source=f"annotation:item {decided.item}", labels=labels)


def _record(
    example: Example, part: str, source_label: str | None, decided: GoldLabel, change: str | bool
) -> dict[str, Any]:
    return {
        "id": example.id,
        "part": part,
        "item": decided.item,
        "change": change or "unchanged",
        "source_label": source_label,
        "label": answer_text(decided.label),
        "decided_by": decided.kind,
        "by": list(decided.by),
        "guideline_versions": list(decided.guideline_versions),
        **({"origin": decided.origin} if decided.origin else {}),
    }


def write_provenance(path: Path, provenance: Sequence[dict[str, Any]]) -> None:
    """One JSON line per row a gold label touched, beside the version it was applied to."""
    with (path / PROVENANCE).open("wb") as fh:
        for record in provenance:
            fh.write(orjson.dumps(record) + b"\n")
