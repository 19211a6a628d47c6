"""The TF-IDF logistic regression: evaluate's baseline, and the label-issue finders' classifier.

Features are word 1-2-grams and char_wb 2-5-grams, sublinear tf; the regression is fitted by saga
with a loose tolerance (0.03, the largest relative change of the weights over an epoch): lbfgs needs
tens of seconds on BANKING77's 8,000 train rows (scipy's L-BFGS-B alone costs about 0.3 s an
iteration at 77 labels x 40,000 features), while saga stops after about 9 epochs in a few seconds,
as accurate as the converged fit to within a point. A multilabel task gets one regression per
label (one-vs-rest) over the same features.

`out_of_fold` gives every row a probability from a model that never saw it (k-fold
cross-validation): what confident learning needs, since a model's probabilities for its own
training rows mostly repeat their labels back.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
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


def out_of_fold(
    texts: Sequence[str],
    targets: np.ndarray,
    seed: int,
    folds: int = FOLDS,
    unfitted: np.ndarray | None = None,
) -> np.ndarray:
    """Each row's probabilities from the fold model that did not see it: (rows, classes) for class
    indices 0..K-1, or (rows, labels) for a 0/1 label-set matrix; a class a fold's model never saw
    gets 0 there. `unfitted` (a mask) marks rows no model is fitted on, which are still given their
    probabilities: an earlier pass's suspects, kept out so the models learn less of the noise."""
    multilabel = targets.ndim == 2
    splitter = (KFold if multilabel else StratifiedKFold)(n_splits=folds, shuffle=True, random_state=seed)
    rows = np.asarray(list(texts), dtype=object)
    keep = np.ones(len(rows), dtype=bool) if unfitted is None else ~np.asarray(unfitted, dtype=bool)
    probs = np.zeros((len(rows), targets.shape[1] if multilabel else int(targets.max()) + 1))
    with _quiet():
        for fit_rows, predict_rows in splitter.split(rows, targets if not multilabel else None):
            kept = fit_rows[keep[fit_rows]]
            if multilabel or len(np.unique(targets[kept])) >= 2:  # else too little is left to fit on
                fit_rows = kept
            model = tfidf_classifier(seed, multilabel).fit(list(rows[fit_rows]), targets[fit_rows])
            predicted = model.predict_proba(list(rows[predict_rows]))
            if multilabel:
                probs[predict_rows] = predicted
            else:
                probs[np.ix_(predict_rows, model.classes_)] = predicted
    return probs
