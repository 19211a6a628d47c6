"""One verdict type for every gate, so that whatever acts on a gate reads one shape.

The data gate (`data/prepare_policy.py: data_gate`), the phase gates
(`train/phases.py: phase_gate_verdicts`), the agreement gate
(`annotate/summary.py: agreement_verdicts`) and the evaluation and fairness gates
(`evaluate/gates.py`, `evaluate/fairness/gates.py`) each return `Verdict`s: stopping a round,
blocking an export or listing what failed needs only `passed` and the fields below.

Each kind of gate already had its record in the files people and scripts read (run.json's
`data_gate`, `phases[].gates` and `evaluation_gates`, `fairness.json`, the `--json` output of
`tuneloop evaluate` and `tuneloop annotate agreement`), so `to_dict` writes the record of the
verdict's `kind`, with the keys and in the order that record always had.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["data", "phase", "agreement", "evaluation"]

#: The record of each kind of gate: (key in the file, attribute of the verdict), in the file's order.
_RECORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "data": (
        ("errors", "count"),
        ("read", "total"),
        ("error_rate", "actual"),
        ("max_error_rate", "threshold"),
        ("passed", "passed"),
        ("override", "override"),
    ),
    "phase": (("gate", "gate"), ("actual", "actual"), ("threshold", "threshold"), ("passed", "passed")),
    "agreement": (("check", "gate"), ("threshold", "threshold"), ("actual", "actual"), ("passed", "passed")),
    "evaluation": (("gate", "gate"), ("scope", "scope"), ("passed", "passed"), ("detail", "detail")),
}
#: Keys a record leaves out when they are empty: the data gate names an override only when one
#: let a failed gate through.
_LEFT_OUT_WHEN_EMPTY = frozenset({"override"})


@dataclass(frozen=True)
class Verdict:
    """Whether one gate passed, and what it compared.

    `gate` is the condition as a person reads it ("accuracy >= 0.7", "alpha of label refund",
    "general.loss <= previous + 0.1"). `actual` is the value measured (None: nothing could be
    measured, which fails a phase or agreement gate) and `threshold` the bound it was held to.
    `scope` says where the gate was checked and `detail` what was measured, in words (the
    evaluation and fairness gates). `count` of `total` are what a rate was counted from (the data
    gate's error findings and rows read); `override` is the reason a failed gate was let through.
    """

    kind: Kind
    gate: str
    passed: bool
    actual: float | None = None
    threshold: float | None = None
    scope: str = ""
    detail: str = ""
    count: int | None = None
    total: int | None = None
    override: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The verdict as its kind's record in files."""
        record = {key: getattr(self, attribute) for key, attribute in _RECORDS[self.kind]}
        return {k: v for k, v in record.items() if v is not None or k not in _LEFT_OUT_WHEN_EMPTY}

    @classmethod
    def from_dict(cls, kind: Kind, record: Mapping[str, Any]) -> Verdict:
        """A verdict read back from its record (a kind whose record names the gate: phase,
        agreement, evaluation)."""
        known = {attribute: record[key] for key, attribute in _RECORDS[kind] if key in record}
        return cls(kind=kind, **known)
