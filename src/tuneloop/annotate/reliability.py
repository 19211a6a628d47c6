"""The reliability matrix: who gave which label to which unit, with the gaps left open.

Agreement and consensus both start from the layout Krippendorff uses, one row per coder and one
column per unit, because it keeps every computation a handful of numpy operations over one float
array. A missing rating is NaN, never a sentinel label, so "not rated" can't be mistaken for a
value. Categorical labels (strings, booleans) are stored as codes 0..k-1 into `labels`, in the order
given (that order is the scale for ordinal agreement); numeric ratings are stored as they are.

    matrix = ReliabilityMatrix.from_records([("ticket-1", "ann", "refund"), ("ticket-1", "bob", "card")])
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from tuneloop.errors import TuneloopError


class AgreementError(TuneloopError):
    """Ratings that agreement or consensus can't be computed from; the message says why."""


# What agreement and consensus functions take: a matrix, or a coders x units array or nested lists
# (None or NaN = not rated), read with `ReliabilityMatrix.from_array`.
MatrixLike = Union["ReliabilityMatrix", np.ndarray, Sequence[Sequence[Any]]]


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and np.isnan(value))


@dataclass(frozen=True, eq=False)
class ReliabilityMatrix:
    """Ratings of `coders` (rows) on `units` (columns); NaN where a coder did not rate a unit.

    `labels` is None when `values` hold the ratings themselves (numbers); otherwise `values` hold
    codes and `labels[code]` is the label a coder gave.
    """

    values: np.ndarray
    coders: tuple[Hashable, ...]
    units: tuple[Hashable, ...]
    labels: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        if self.values.ndim != 2:
            raise AgreementError(
                f"a reliability matrix is 2-D (coders x units); got an array of shape {self.values.shape}"
            )
        if self.values.shape != (len(self.coders), len(self.units)):
            raise AgreementError(
                f"matrix shape {self.values.shape} does not match {len(self.coders)} coders "
                f"x {len(self.units)} units"
            )

    @classmethod
    def from_records(
        cls, records: Iterable[tuple[Hashable, Hashable, Any]], labels: Sequence[Any] | None = None
    ) -> ReliabilityMatrix:
        """Build the matrix from `(unit_id, coder_id, value)` records, in first-seen order of ids.

        A coder rates a unit once: a second record for the same pair is an error rather than a
        silent overwrite, because which of two labels counts is the caller's decision (latest,
        reviewed, ...). Records whose value is None or NaN are skipped (not rated).
        """
        units: dict[Hashable, int] = {}
        coders: dict[Hashable, int] = {}
        seen: dict[tuple[int, int], Any] = {}
        for unit, coder, value in records:
            u = units.setdefault(unit, len(units))
            c = coders.setdefault(coder, len(coders))
            if (c, u) in seen:
                raise AgreementError(
                    f"coder {coder!r} rated unit {unit!r} twice ({seen[c, u]!r} and {value!r}); "
                    "keep one rating per coder and unit"
                )
            seen[c, u] = value
        raw = np.full((len(coders), len(units)), None, dtype=object)
        for (c, u), value in seen.items():
            raw[c, u] = value
        return cls._encode(raw, tuple(coders), tuple(units), labels)

    @classmethod
    def from_array(
        cls,
        data: np.ndarray | Sequence[Sequence[Any]],
        coders: Sequence[Hashable] | None = None,
        units: Sequence[Hashable] | None = None,
        labels: Sequence[Any] | None = None,
    ) -> ReliabilityMatrix:
        """Wrap a coders x units array (None or NaN = missing); ids default to positions."""
        if isinstance(data, np.ndarray) and data.dtype.kind in "iuf" and labels is None and data.ndim == 2:
            # Numeric arrays skip the per-value Python pass below: it dominates on big matrices.
            coder_ids = tuple(coders) if coders is not None else tuple(range(data.shape[0]))
            unit_ids = tuple(units) if units is not None else tuple(range(data.shape[1]))
            return cls(data.astype(float), coder_ids, unit_ids, None)
        raw = np.array(data, dtype=object)
        if raw.ndim != 2:
            raise AgreementError(
                f"a reliability matrix is 2-D (coders x units); got an array of shape {raw.shape}"
            )
        coder_ids = tuple(coders) if coders is not None else tuple(range(raw.shape[0]))
        unit_ids = tuple(units) if units is not None else tuple(range(raw.shape[1]))
        return cls._encode(raw, coder_ids, unit_ids, labels)

    @classmethod
    def _encode(
        cls,
        raw: np.ndarray,
        coders: tuple[Hashable, ...],
        units: tuple[Hashable, ...],
        labels: Sequence[Any] | None,
    ) -> ReliabilityMatrix:
        present = [v for v in raw.ravel() if not _is_missing(v)]
        if labels is None and all(_is_number(v) for v in present):
            values = np.array([np.nan if _is_missing(v) else float(v) for v in raw.ravel()], dtype=float)
            return cls(values.reshape(raw.shape), coders, units, None)
        if labels is None:
            distinct = list(dict.fromkeys(present))
            try:
                labels = sorted(distinct)
            except TypeError:  # mixed kinds of label: keep first-seen order
                labels = distinct
        index = {label: code for code, label in enumerate(labels)}
        if len(index) != len(labels):
            raise AgreementError(f"labels must be distinct; got {list(labels)!r}")
        unknown = sorted({repr(v) for v in present if v not in index})
        if unknown:
            raise AgreementError(f"ratings {', '.join(unknown)} are not among the labels {list(labels)!r}")
        codes = [np.nan if _is_missing(v) else float(index[v]) for v in raw.ravel()]
        return cls(np.array(codes, dtype=float).reshape(raw.shape), coders, units, tuple(labels))

    @classmethod
    def coerce(cls, data: MatrixLike) -> ReliabilityMatrix:
        """Accept a ReliabilityMatrix or anything `from_array` takes."""
        return data if isinstance(data, ReliabilityMatrix) else cls.from_array(data)

    def label(self, value: float) -> Any:
        """The label a stored value stands for (the value itself for numeric ratings)."""
        if self.labels is None:
            return int(value) if float(value).is_integer() else float(value)
        return self.labels[int(value)]

    def numeric(self) -> np.ndarray:
        """Ratings as numbers, for interval and ratio agreement: codes mapped through numeric labels."""
        if self.labels is None:
            return self.values
        if not all(_is_number(label) for label in self.labels):
            raise AgreementError(
                f"labels {list(self.labels)!r} are not numbers: interval and ratio agreement need "
                "numeric ratings (use nominal or ordinal)"
            )
        table = np.array(self.labels, dtype=float)
        out = np.full(self.values.shape, np.nan)
        rated = ~np.isnan(self.values)
        out[rated] = table[self.values[rated].astype(int)]
        return out

    def gold_vector(self, gold: dict[Hashable, Any]) -> np.ndarray:
        """Gold labels by unit id, encoded like `values`; NaN where a unit has no gold label."""
        out = np.full(len(self.units), np.nan)
        index = {label: code for code, label in enumerate(self.labels)} if self.labels is not None else None
        for position, unit in enumerate(self.units):
            if unit not in gold or _is_missing(gold[unit]):
                continue
            value = gold[unit]
            if index is None:
                if not _is_number(value):
                    raise AgreementError(f"gold label {value!r} of unit {unit!r} is not a number")
                out[position] = float(value)
            elif value in index:
                out[position] = float(index[value])
            else:
                raise AgreementError(
                    f"gold label {value!r} of unit {unit!r} is not among the labels "
                    f"{list(self.labels or ())!r}"
                )
        return out
