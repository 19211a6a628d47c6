"""Relevance: rows far from every label, flagged as possibly off-task (labelled data only).

A TF-IDF model (word unigrams and bigrams, English stop words out, sublinear term frequency) is
fitted on up to `FIT_ROWS` rows, each label's centroid is the normalised mean of its rows, and
every row is scored by its cosine similarity to the nearest centroid (`irrelevant_score`, lower is
farther). A row is flagged only when three things agree: the similarity is below
`quality.relevance_threshold`, the row has at least `MIN_CONTENT_WORDS` content words, and most of
them (`MIN_UNSEEN`) appear in no other row. Short real messages with a typo ("I dont see my
reciept") fail the first test but not the others; a recipe, a pangram or lorem ipsum fail all
three. Labels are what make "the objective" concrete here; free-text answers give no centroids, so
a generate task is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from tuneloop.data.checks.base import CheckedRow, CheckResult

FIT_ROWS = 50_000
MIN_ROWS = 200  # fewer rows: most words occur once, and "in no other row" says nothing
MIN_CONTENT_WORDS = 3
MIN_UNSEEN = 0.6


@dataclass
class RelevanceModel:
    vectorizer: TfidfVectorizer
    centroids: np.ndarray  # (labels, features), rows L2-normalised
    labels: list[str]


def fit(sample: Sequence[tuple[str, str]]) -> RelevanceModel | None:
    """`sample`: (input, label) pairs. None when there is too little to fit (under 2 labels or
    `MIN_ROWS` rows)."""
    labels = sorted({label for _, label in sample})
    if len(labels) < 2 or len(sample) < MIN_ROWS:
        return None
    vectorizer = TfidfVectorizer(
        sublinear_tf=True, ngram_range=(1, 2), min_df=2, stop_words="english", dtype=np.float32
    )
    x = vectorizer.fit_transform([text for text, _ in sample])
    position = {label: i for i, label in enumerate(labels)}
    which = np.array([position[label] for _, label in sample])
    centroids = np.vstack([np.asarray(x[which == i].mean(axis=0)) for i in range(len(labels))])
    return RelevanceModel(vectorizer, normalize(centroids), labels)


def scan(rows: Sequence[CheckedRow], model: RelevanceModel, threshold: float) -> CheckResult:
    result = CheckResult("relevance")
    if not rows:
        return result
    x = model.vectorizer.transform([row.input_text for row in rows])
    nearest = np.asarray((x @ model.centroids.T).max(axis=1)).ravel()
    analyse, vocabulary = model.vectorizer.build_analyzer(), model.vectorizer.vocabulary_
    for row, similarity in zip(rows, nearest, strict=True):
        if similarity >= threshold:
            continue
        words = [term for term in analyse(row.input_text) if " " not in term]
        unseen = sum(term not in vocabulary for term in words) / max(len(words), 1)
        if len(words) >= MIN_CONTENT_WORDS and unseen >= MIN_UNSEEN:
            result.flag(
                row,
                "irrelevant",
                "warning",
                f"far from every label (cosine similarity {similarity:.3f} to the nearest label's rows, "
                f"{unseen:.0%} of its words in no other row); possibly off-task",
                fix="check that the row belongs to this task; remove it if not",
                score=float(similarity),
            )
    result.summary["scored"] = len(rows)
    return result


def sample_of(shards: Iterable[Sequence[CheckedRow]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for rows in shards:
        for row in rows:
            if row.example.label is not None:
                out.append((row.input_text, row.example.label))
                if len(out) >= FIT_ROWS:
                    return out
    return out
