"""One record per item from several annotators' records, decided field by field.

People who agree on the company but not on the amount agree on something: a record is decided
per field, as a label set is decided per label. A field's value is the one (by `field_key`: case
and spacing of strings aside) that more than half of the item's annotators gave, "no value"
included; its spelling is that of the first annotator who gave it. A field without such a majority
leaves the whole record undecided (`tie: awaiting adjudication`, the tied fields named), since a
record with a field guessed is not what people said. With `annotation.consensus: dawid_skene`,
Dawid-Skene runs once per field over every item's keys (an annotator's care differs by field: one
who misses dates may not miss amounts) and decides the items people did not all agree on; a
field with more than `DAWID_MAX_VALUES` distinct values (free text) keeps the majority.

Records come in and go out as canonical answers (`extract.schema.canonical_answer`), the form the
rows of an extract task train on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from typing import Any

import orjson

from tuneloop.annotate.consensus import dawid_skene
from tuneloop.annotate.reliability import ReliabilityMatrix
from tuneloop.annotate.store.field_answers import ABSENT, field_key
from tuneloop.extract.schema import canonical_answer
from tuneloop.spec.fields import FieldSpec

Votes = dict[int, list[tuple[str, Any, int]]]  # item -> (annotator, canonical answer, guideline version)
TIE = "tie: awaiting adjudication"
# Dawid-Skene estimates a values x values confusion matrix per annotator: past this many distinct
# values of a field (free text: about one per item) it cannot be estimated, and costs values^2 memory.
DAWID_MAX_VALUES = 50


def field_consensus(fields: list[FieldSpec], votes: Votes, dawid: bool = False) -> dict[int, tuple[Any, str]]:
    """Each item's decided record (its canonical answer; None when undecided) and how:
    unanimous, majority, dawid_skene, or a tie naming the fields without a majority."""
    records = {
        item: [(who, orjson.loads(answer)) for who, answer, _ in given] for item, given in votes.items()
    }
    model = _dawid_skene_keys(fields, records) if dawid else {}
    out: dict[int, tuple[Any, str]] = {}
    for item, given in records.items():
        chosen: dict[str, Any] = {}
        tied, unanimous, weighed = [], True, False
        for f in fields:
            keys = [field_key(f, record) for _, record in given]
            top, count = Counter(keys).most_common(1)[0]
            unanimous &= count == len(keys)
            key = top if 2 * count > len(keys) else None
            if count < len(keys) and (item, f.name) in model:
                key, weighed = model[item, f.name], True
            if key is None:
                tied.append(f.name)
            elif key != ABSENT:
                spelled = [r[f.name] for _, r in given if field_key(f, r) == key]
                if not spelled:  # Dawid-Skene chose a value nobody gave this item: no decision
                    tied.append(f.name)
                    continue
                chosen[f.name] = spelled[0]
        out[item] = _decision(fields, chosen, tied, unanimous, weighed)
    return out


def _decision(
    fields: list[FieldSpec], chosen: dict[str, Any], tied: list[str], unanimous: bool, dawid: bool
) -> tuple[Any, str]:
    if unanimous:
        return canonical_answer(chosen, fields), "unanimous"
    if tied:
        return None, f"{TIE} ({', '.join(tied)})"
    return canonical_answer(chosen, fields), "dawid_skene" if dawid else "majority"


def _dawid_skene_keys(
    fields: list[FieldSpec], records: dict[int, list[tuple[str, dict[str, Any]]]]
) -> dict[tuple[int, str], str]:
    """Each (item, field)'s key by Dawid-Skene over that field's keys on every item; a unit whose
    top posteriors tie is left out."""
    out: dict[tuple[int, str], str] = {}
    for f in fields:
        matrix = ReliabilityMatrix.from_records(
            [(item, who, field_key(f, record)) for item, given in records.items() for who, record in given]
        )
        if matrix.labels is not None and not 2 <= len(matrix.labels) <= DAWID_MAX_VALUES:
            continue  # one answer everywhere: nothing to weigh; too many values: the majority decides
        estimate = dawid_skene(matrix)
        unit: Hashable
        for unit, key in zip(estimate.units, estimate.label, strict=True):
            if key is not None:
                out[int(unit), f.name] = str(key)  # type: ignore[call-overload]
    return out
