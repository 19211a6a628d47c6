"""One verdict type, each kind written as the record its files always had (keys and their order)."""

from __future__ import annotations

import pytest

from tuneloop.verdict import Kind, Verdict


def test_each_kind_writes_its_own_record_in_order() -> None:
    data = Verdict("data", "error rate <= 0.05", True, actual=0.0157, threshold=0.05, count=2, total=127)
    assert list(data.to_dict().items()) == [
        ("errors", 2),
        ("read", 127),
        ("error_rate", 0.0157),
        ("max_error_rate", 0.05),
        ("passed", True),
    ]
    phase = Verdict("phase", "val.accuracy >= 0.3", False, actual=None, threshold=0.3)
    assert list(phase.to_dict().items()) == [
        ("gate", "val.accuracy >= 0.3"),
        ("actual", None),  # nothing to judge is written, not left out
        ("threshold", 0.3),
        ("passed", False),
    ]
    agreement = Verdict("agreement", "alpha", True, actual=0.8, threshold=0.667)
    assert list(agreement.to_dict().items()) == [
        ("check", "alpha"),
        ("threshold", 0.667),
        ("actual", 0.8),
        ("passed", True),
    ]
    evaluation = Verdict("evaluation", "accuracy >= 0.7", True, scope="overall (test)", detail="accuracy 0.8")
    assert list(evaluation.to_dict().items()) == [
        ("gate", "accuracy >= 0.7"),
        ("scope", "overall (test)"),
        ("passed", True),
        ("detail", "accuracy 0.8"),
    ]


def test_the_data_gate_names_an_override_only_when_one_let_it_through() -> None:
    forgiven = Verdict(
        "data", "error rate <= 0.01", False, 0.0157, 0.01, count=2, total=127, override="fixed"
    )
    assert forgiven.to_dict()["override"] == "fixed" and list(forgiven.to_dict())[-1] == "override"


@pytest.mark.parametrize(
    "verdict",
    [
        Verdict("phase", "general.loss <= previous + 0.1", True, actual=1.2, threshold=1.3),
        Verdict("agreement", "alpha of label refund", False, actual=None, threshold=0.8),
        Verdict("evaluation", "flip rate <= 0.02", False, scope="family gender", detail="3 of 100"),
    ],
)
def test_a_record_reads_back_as_the_verdict(verdict: Verdict) -> None:
    kind: Kind = verdict.kind
    assert Verdict.from_dict(kind, verdict.to_dict()) == verdict
