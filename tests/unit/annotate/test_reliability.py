"""Ratings as coders x units: building the matrix from records, and refusing what it can't hold."""

from __future__ import annotations

import pytest

from tuneloop.annotate.reliability import AgreementError, ReliabilityMatrix


def test_records_reject_duplicates_and_unknown_labels() -> None:
    with pytest.raises(AgreementError, match="rated unit 'u1' twice"):
        ReliabilityMatrix.from_records([("u1", "ann", "a"), ("u1", "ann", "b")])
    with pytest.raises(AgreementError, match="'c' are not among the labels"):
        ReliabilityMatrix.from_records([("u1", "ann", "c")], labels=["a", "b"])
