"""One shape for the result of every evaluation gate (regression, floor, fairness), so that
`tuneloop evaluate --gate`, the report and the model card list them the same way."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class GateVerdict:
    gate: str  # the gate as a person reads it, e.g. "accuracy drop <= 0.03 vs base (p < 0.05)"
    scope: str  # where it was checked: "overall", "slice length=1-8 words", "family gender"
    passed: bool
    detail: str  # what was measured, e.g. "dropped 0.041 (p = 0.012 after Holm)"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
