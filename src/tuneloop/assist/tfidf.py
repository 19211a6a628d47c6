"""The TF-IDF logistic regression: evaluate's baseline, and the label-issue finders' classifier.

Features are word 1-2-grams and char_wb 2-5-grams, sublinear tf; the regression is fitted by saga
with a loose tolerance (0.03, the largest relative change of the weights over an epoch): lbfgs needs
tens of seconds on BANKING77's 8,000 train rows (scipy's L-BFGS-B alone costs about 0.3 s an
iteration at 77 labels x 40,000 features), while saga stops after about 9 epochs in a few seconds,
as accurate as the converged fit to within a point. A multilabel task gets one regression per
label (one-vs-rest) over the same features.

`out_of_fold` gives every row a probability from a model that never saw it (k-fold
cross-validation, `cross_val_predict(method="predict_proba")`): what confident learning needs, since
a model's probabilities for its own training rows mostly repeat their labels back.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline, make_pipeline, make_union

FOLDS = 5


def tfidf_features() -> Any:
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    return make_union(words, chars)


def tfidf_classifier(seed: int, multilabel: bool = False) -> Pipeline:
    """Features and a seeded regression; one per label (one-vs-rest) for label sets."""
    regression = LogisticRegression(C=10.0, solver="saga", tol=0.03, max_iter=100, random_state=seed)
    return make_pipeline(tfidf_features(), OneVsRestClassifier(regression) if multilabel else regression)


@contextmanager
def _quiet() -> Iterator[None]:
    """No warning for a label no row (or every row) holds, nor for a class too small for every
    fold: a constant answer, or a fold without that class, which the callers expect."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Label .* is present in all training examples")
        warnings.filterwarnings("ignore", message="The least populated class in y has only")
        yield


def fit_quietly(model: Pipeline, texts: Sequence[str], targets: Any) -> Pipeline:
    with _quiet():
        model.fit(list(texts), targets)
    return model


def out_of_fold(texts: Sequence[str], targets: np.ndarray, seed: int, folds: int = FOLDS) -> np.ndarray:
    """Each row's probabilities from the fold model that did not see it: (rows, classes) for class
    indices 0..K-1 (every class present), or (rows, labels) for a 0/1 label-set matrix."""
    multilabel = targets.ndim == 2
    splitter = (KFold if multilabel else StratifiedKFold)(n_splits=folds, shuffle=True, random_state=seed)
    with _quiet():
        probs = cross_val_predict(
            tfidf_classifier(seed, multilabel), list(texts), targets, cv=splitter, method="predict_proba"
        )
    return np.asarray(probs, dtype=float)
