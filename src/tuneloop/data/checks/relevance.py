"""Relevance: rows far from every label, flagged as possibly off-task (labelled data only).

A TF-IDF model (word unigrams and bigrams, sublinear term frequency) is fitted on up to
`FIT_ROWS` rows, each label's centroid is the normalised mean of its rows, and every row is scored
by its cosine similarity to the nearest centroid. A row below `quality.relevance_threshold` shares
almost no vocabulary with any label: an e-mail signature, a row from another data set, a test
string. The similarity is the row's `irrelevant_score` (lower is farther). Labels are what make
"the objective" concrete here; free-text answers give no centroids, so a generate task is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from tuneloop.data.checks.base import CheckResult, Row

FIT_ROWS = 50_000


@dataclass
class RelevanceModel:
    vectorizer: TfidfVectorizer
    centroids: np.ndarray  # (labels, features), rows L2-normalised
    labels: list[str]


def fit(sample: Sequence[tuple[str, str]]) -> RelevanceModel | None:
    """`sample`: (input, label) pairs. None when there is too little to fit (under 2 labels or 20 rows)."""
    labels = sorted({label for _, label in sample})
    if len(labels) < 2 or len(sample) < 20:
        return None
    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, dtype=np.float32)
    x = vectorizer.fit_transform([text for text, _ in sample])
    position = {label: i for i, label in enumerate(labels)}
    which = np.array([position[label] for _, label in sample])
    centroids = np.vstack([np.asarray(x[which == i].mean(axis=0)) for i in range(len(labels))])
    return RelevanceModel(vectorizer, normalize(centroids), labels)


def scan(rows: Sequence[Row], model: RelevanceModel, threshold: float) -> CheckResult:
    result = CheckResult("relevance")
    if not rows:
        return result
    x = model.vectorizer.transform([row.input_text for row in rows])
    nearest = np.asarray((x @ model.centroids.T).max(axis=1)).ravel()
    for row, similarity in zip(rows, nearest, strict=True):
        if similarity < threshold:
            result.flag(
                row,
                "irrelevant",
                "warning",
                f"far from every label (cosine similarity {similarity:.3f} to the nearest label's rows); "
                "possibly off-task",
                fix="check that the row belongs to this task; remove it if not",
                score=float(similarity),
            )
    result.summary["scored"] = len(rows)
    return result


def sample_of(shards: Iterable[Sequence[Row]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for rows in shards:
        for row in rows:
            if row.example.label is not None:
                out.append((row.input_text, row.example.label))
                if len(out) >= FIT_ROWS:
                    return out
    return out
