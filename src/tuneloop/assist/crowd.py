"""CROWDLAB over the items several people annotated: which consensus to trust, and whom.

`cleanlab.multiannotator.get_label_quality_multiannotator` weighs each annotator's answers by how
well they agree with the others and with a model's out-of-fold probabilities, and gives each item
a consensus label with a quality score (0..1, lower: less trustworthy) and each annotator a quality
score. Kappa against the adjudicated items (annotate/summary.py) rates people on the few items an
expert decided; CROWDLAB rates them on every item they answered.

An item is suspect when CROWDLAB's consensus differs from the label the store decided (the
majority), or when that consensus scores below `SUSPECT_BELOW`. One label per item only: CROWDLAB
has no label-set form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from cleanlab.multiannotator import get_label_quality_multiannotator

from tuneloop.assist.label_issues import Suspect

CROWDLAB = "crowdlab"
SUSPECT_BELOW = 0.5


@dataclass(frozen=True)
class CrowdQuality:
    """Per item (in the order given): CROWDLAB's consensus and its quality score; per annotator,
    best first: quality, agreement with the consensus and items labelled."""

    consensus: list[str]
    quality: list[float]
    annotators: list[dict[str, Any]]


def crowd_quality(
    answers: Sequence[Mapping[str, str]], probs: np.ndarray, classes: Sequence[str]
) -> CrowdQuality:
    """`answers[i]`: annotator -> label of item i (answers outside `classes` are left out);
    `probs[i]`: a model's out-of-fold probabilities for item i over `classes`."""
    index = {label: i for i, label in enumerate(classes)}
    people = sorted({name for given in answers for name, label in given.items() if label in index})
    matrix = np.array([[index.get(given.get(name, ""), np.nan) for name in people] for given in answers])
    result = get_label_quality_multiannotator(matrix, probs, verbose=False)
    items, stats = result["label_quality"], result["annotator_stats"]
    annotators = [
        {
            "annotator": people[int(column)],
            "quality": float(row["annotator_quality"]),
            "agreement_with_consensus": float(row["agreement_with_consensus"]),
            "items": int(row["num_examples_labeled"]),
        }
        for column, row in stats.iterrows()
    ]
    return CrowdQuality(
        [classes[int(c)] for c in items["consensus_label"]],
        [float(q) for q in items["consensus_quality_score"]],
        sorted(annotators, key=lambda a: -a["quality"]),
    )


def crowd_suspects(decided: Sequence[str], crowd: CrowdQuality) -> list[Suspect]:
    """Items whose decided label CROWDLAB doubts, least trustworthy first; `row` is the item's
    position in the lists given."""
    suspects = [
        Suspect(i, label, consensus, quality, CROWDLAB)
        for i, (label, consensus, quality) in enumerate(
            zip(decided, crowd.consensus, crowd.quality, strict=True)
        )
        if consensus != label or quality < SUSPECT_BELOW
    ]
    return sorted(suspects, key=lambda s: s.score)
