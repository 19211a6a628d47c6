"""Agreement on records (an extract task), field by field.

Each field is its own nominal question: which value does the text give for it, "none" being an
answer (`field_answers.field_key`: the comparison key, with case and spacing of strings aside).
Its Krippendorff's alpha, with a bootstrap interval over items, says whether people read that
field the same way; the overall figure pools every (item, field) pair as one unit, so it weighs
the fields equally per item and does not punish a whole record for one field. A field nobody
ever filled, or one everybody answered alike on every item, has no variation: its alpha is
undefined (NaN), as alpha is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tuneloop.annotate.bootstrap import ConfidenceInterval, bootstrap_alpha
from tuneloop.annotate.reliability import ReliabilityMatrix
from tuneloop.annotate.store.field_answers import ABSENT, field_key
from tuneloop.spec.fields import FieldSpec

Rating = tuple[Any, str, dict[str, Any]]  # (item, annotator, record)


def field_matrix(ratings: list[Rating], field: FieldSpec) -> ReliabilityMatrix:
    """Annotators x items, each cell the field's key in that annotator's record."""
    return ReliabilityMatrix.from_records(
        [(item, who, field_key(field, record)) for item, who, record in ratings]
    )


def pooled_matrix(ratings: list[Rating], fields: list[FieldSpec]) -> ReliabilityMatrix:
    """Annotators x (item, field) units: every field of every item one nominal decision."""
    return ReliabilityMatrix.from_records(
        [((item, f.name), who, field_key(f, record)) for item, who, record in ratings for f in fields]
    )


def field_alpha(
    ratings: list[Rating], field: FieldSpec, n_boot: int, seed: int
) -> tuple[ConfidenceInterval | None, int]:
    """The field's alpha with its interval (None when undefined: no variation), and how many
    answers gave it a value."""
    matrix = field_matrix(ratings, field)
    given = sum(1 for _, _, record in ratings if field_key(field, record) != ABSENT)
    if not _varies(matrix):
        return None, given
    return bootstrap_alpha(matrix, "nominal", n_boot=n_boot, seed=seed), given


def _varies(matrix: ReliabilityMatrix) -> bool:
    rated = matrix.values[~np.isnan(matrix.values)]
    return rated.size > 0 and float(rated.min()) != float(rated.max())
