"""The suggester before any model exists: the TF-IDF regression fitted on the labels people decided.

It learns from the store's gold labels so far (adjudicated and agreed, `training_gold`). With
fewer than `MIN_GOLD` of them, or fewer than two labels among them, the sources' training labels
are added (a gold label wins where both hold a text), and the source says so (`trained_on`).
Its held-out rows for calibration are its own out-of-fold probabilities (`tfidf.out_of_fold`), so
the temperature is fitted on rows each fold model never saw. An open item whose text it was fitted
on (a source row people now annotate) gets that row's out-of-fold probabilities, never the full
model's, which would mostly repeat the source label back at near-certainty; other texts are
scored by the model fitted on every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tuneloop.annotate.project import dataset_for_annotation
from tuneloop.annotate.training_labels import training_gold
from tuneloop.assist.suggestions import ProbabilitySource
from tuneloop.assist.tfidf import FOLDS, fit_quietly, out_of_fold, tfidf_classifier
from tuneloop.errors import TuneloopError
from tuneloop.spec import ProjectSpec

AGENT = "tfidf-logreg"
MIN_GOLD = 50  # gold labels below which the sources' training labels are added


def labelled_texts(spec: ProjectSpec) -> tuple[list[str], list[str | tuple[str, ...]], str]:
    """The texts and labels to fit on, and which they are: "gold" or "gold+sources"."""
    gold = training_gold(spec)
    decided = {g.text: g.label for g in gold.labels} if gold is not None else {}
    distinct = {label for label in decided.values()}
    if len(decided) >= MIN_GOLD and len(distinct) >= 2:
        return list(decided), list(decided.values()), "gold"
    rows: dict[str, str | tuple[str, ...]] = {}
    for example in dataset_for_annotation(spec).split("train"):
        label = example.labels if example.labels is not None else example.label
        if label is not None:
            rows[example.text] = label
    rows.update(decided)
    return list(rows), list(rows.values()), f"gold+sources ({len(decided)} gold labels, under {MIN_GOLD})"


def tfidf_source(spec: ProjectSpec) -> ProbabilitySource:
    """The baseline suggester of the project (classify or multilabel), fitted and ready to score."""
    texts, labels, trained_on = labelled_texts(spec)
    return fitted_source(
        texts, labels, spec.label_names, spec.objective.task == "multilabel", spec.seed, trained_on
    )


def fitted_source(
    texts: Sequence[str],
    labels: Sequence[str | tuple[str, ...]],
    names: Sequence[str],
    multilabel: bool,
    seed: int,
    trained_on: str,
) -> ProbabilitySource:
    """Fit the regression on `labels` (labels, or label sets of `names`) with out-of-fold
    probabilities for calibration."""
    if len(texts) < 2 * FOLDS:
        raise TuneloopError(
            f"assist suggest: {len(texts)} labelled texts ({trained_on}); cross-validation needs {2 * FOLDS}"
        )
    if multilabel:
        classes = list(names)
        targets = np.array([[name in set(row) for name in classes] for row in labels], dtype=int)
    else:
        classes = [name for name in names if name in set(labels)]
        if len(classes) < 2:
            raise TuneloopError(
                "assist suggest: the labelled texts hold one label; nothing to choose between"
            )
        targets = np.array([classes.index(str(label)) for label in labels])
    held_out = out_of_fold(texts, targets, seed)
    model = fit_quietly(tfidf_classifier(seed, multilabel), texts, targets)
    return ProbabilitySource(
        agent=AGENT,
        model_version=f"{AGENT}:{trained_on.split(' ')[0]}:{len(texts)} rows:seed {seed}",
        classes=classes,
        multilabel=multilabel,
        held_out=held_out,
        held_out_targets=targets,
        held_out_source=f"{FOLDS}-fold out-of-fold probabilities",
        score=lambda batch: _unseen(batch, list(texts), held_out, model),
        trained_on=trained_on,
    )


def _unseen(batch: list[str], fitted: list[str], held_out: np.ndarray, model: Any) -> np.ndarray:
    """Probabilities from a model that did not see the text: out-of-fold for a fitted text."""
    row = {text: i for i, text in enumerate(fitted)}
    probs = np.zeros((len(batch), held_out.shape[1]))
    new = [i for i, text in enumerate(batch) if text not in row]
    for i, text in enumerate(batch):
        if text in row:
            probs[i] = held_out[row[text]]
    if new:
        probs[new] = np.asarray(model.predict_proba([batch[i] for i in new]), dtype=float)
    return probs
