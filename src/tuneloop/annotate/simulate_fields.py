"""Simulated annotators of an extract task: records that err the ways people's records do.

A person filling a form from a text rarely invents a value; they miss one, mark a span a word too
short or too long, or put a value under the wrong field (a `date` written as the `date_from`).
`RecordConfuser` answers from the row's recorded record: each field kept with the person's
reliability, else one of those three errors, each chosen only where it can happen and still be a
valid answer (a shorter span needs two words; a wrong field needs another field of the same type
that the record leaves empty; a longer span needs a neighbouring word in the text). Values stay
what the text holds, so every simulated answer passes the store's check, as a person's form would.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import orjson

from tuneloop.spec import ProjectSpec
from tuneloop.spec.fields import FieldSpec

ERRORS = ("missed", "boundary", "wrong_field")
ERROR_SHARES = (0.5, 0.3, 0.2)


class RecordConfuser:
    """Draws a simulated person's record: each field of the truth kept with probability
    `reliability`, else missed, cut or stretched by a word, or moved to a field of its type."""

    def __init__(self, spec: ProjectSpec, seed: int) -> None:
        self.fields = spec.field_schema
        self.rng = np.random.default_rng(seed)

    def answer(self, truth: Any, reliability: float, text: str = "") -> dict[str, Any]:
        """One record for an item of `text` whose recorded answer is `truth` (canonical JSON)."""
        record = orjson.loads(truth) if isinstance(truth, str) else dict(truth)
        given: dict[str, Any] = {}
        for f in self.fields:
            if f.name not in record:
                continue
            value = record[f.name]
            if self.rng.random() < reliability:
                given.setdefault(f.name, value)
                continue
            error = str(self.rng.choice(ERRORS, p=ERROR_SHARES))
            if error == "boundary" and f.type == "string" and (moved := self._boundary(value, text)):
                given[f.name] = moved
            elif error == "wrong_field" and not f.required and (other := self._other_field(f, record, given)):
                given[other.name] = value
            elif f.required:  # a required field is never missed nor moved: the form refuses that
                given[f.name] = value
        return {f.name: given[f.name] for f in self.fields if f.name in given}

    def anchored(self, own: Any, truth: Any, shown: Any, anchoring: float) -> Any:
        """Records carry no suggestion (`assist suggest` scores labels): the person's own answer."""
        return own

    def _boundary(self, value: str, text: str) -> str | None:
        """The span a word shorter (two words or more), else a word longer where the text has one."""
        words = value.split()
        if len(words) > 1:
            return " ".join(words[1:] if self.rng.random() < 0.5 else words[:-1])
        match = re.search(rf"{re.escape(value)}\s+(\w+)", text, flags=re.IGNORECASE)
        return f"{value} {match[1]}" if match else None

    def _other_field(
        self, field: FieldSpec, record: dict[str, Any], given: dict[str, Any]
    ) -> FieldSpec | None:
        """Another field of the same type and shape that neither the truth nor the answer fills."""
        options = [
            f
            for f in self.fields
            if f.name != field.name
            and (f.type, f.value_type, f.values) == (field.type, field.value_type, field.values)
            and f.name not in record
            and f.name not in given
        ]
        return options[int(self.rng.integers(len(options)))] if options else None
