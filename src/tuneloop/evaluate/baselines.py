"""Baselines beside every model: what a model must beat before its numbers mean anything.

Two baselines are fitted on the run's train split and scored on the very rows the model was
scored on, by the task kind's metric function (the model's own), with the same bootstrap
intervals, and compared with the model by the same paired tests as any other model
(`compare.compare_predictions`: McNemar on accuracy, paired bootstrap on the macro metrics):

- `majority`: the train split's most common label for every row (a tie goes to the label first
  in the spec). A model that does not beat it has learnt nothing that counting labels would not.
- `tfidf_logreg`: a logistic regression over TF-IDF features of the input text (word 1-2-grams
  and char_wb 2-5-grams, sublinear tf, `assist/tfidf.py`, which the label-issue finder uses too),
  seeded: what an afternoon without a GPU gives. On BANKING77 it reaches about 0.90 accuracy.

A multilabel task gets the same two, on label sets: the train split's most common set for every
row, and one logistic regression per label (one-vs-rest) over the same features, each label
present where its regression's probability reaches a threshold tuned as the model's is (highest
micro-F1), on 5-fold out-of-fold probabilities of the train split: the model's threshold is tuned
on validation, and a baseline held at 0.5 would be handicapped (on NLU++ banking 0.5 under-predicts
the rare modules: test micro-F1 0.722 at 0.5, 0.814 at the tuned 0.248). A label no train row holds
is never predicted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from tuneloop.assist.tfidf import FOLDS, fit_quietly, out_of_fold, tfidf_classifier
from tuneloop.data.example import Example
from tuneloop.evaluate.compare import OVERALL, compare_predictions
from tuneloop.evaluate.intervals import judged_metrics
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.multilabel_metrics import label_set_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.slices import overall_intervals
from tuneloop.evaluate.thresholds import DEFAULT, best_threshold
from tuneloop.label_text import canonical_answer
from tuneloop.spec import Evaluation
from tuneloop.spec.evaluation import BASELINES

MetricFunction = Callable[[list[Prediction], list[str]], dict[str, Any]]

#: The metric function of each task kind whose rows carry labels: a kind not listed gets no
#: baselines, and a new labelled kind (multi-label) plugs in its own function here.
METRICS_BY_TASK: dict[str, MetricFunction] = {
    "classify": classification_metrics,
    "multilabel": label_set_metrics,
}

#: The metrics every baseline carries whatever the spec judges: the pair the report leads with.
HEADLINE_METRICS: dict[str, tuple[str, ...]] = {
    "classify": ("accuracy", "macro_f1"),
    "multilabel": ("micro_f1", "macro_f1"),
}


@dataclass(frozen=True)
class Baselines:
    """The baselines fitted on one train split, ready to answer any rows. A multilabel task's
    `majority` is the canonical answer of the most common set, `majority_labels` that set, and
    `labels` the schema the regression's columns follow, `threshold` its presence cut."""

    majority: str
    tfidf: Pipeline | None  # None when the train split holds one label: the regression would answer it
    majority_labels: tuple[str, ...] | None = None
    labels: tuple[str, ...] = ()
    threshold: float = DEFAULT

    def predict(self, name: str, rows: Sequence[Prediction]) -> list[Prediction]:
        """The baseline's answer for each of the model's scored rows (same ids, texts, gold)."""
        if self.majority_labels is not None:
            return self._predict_sets(name, rows)
        if name == "majority" or self.tfidf is None:
            answers = [self.majority] * len(rows)
        else:
            answers = [str(a) for a in self.tfidf.predict([r.text for r in rows])] if rows else []
        return [
            Prediction(r.id, r.text, r.gold, answer, answer, r.slices)
            for r, answer in zip(rows, answers, strict=True)
        ]

    def _predict_sets(self, name: str, rows: Sequence[Prediction]) -> list[Prediction]:
        assert self.majority_labels is not None
        sets = [self.majority_labels] * len(rows)
        if name != "majority" and self.tfidf is not None and rows:
            present = np.asarray(self.tfidf.predict_proba([r.text for r in rows])) >= self.threshold
            sets = [tuple(label for label, on in zip(self.labels, row, strict=True) if on) for row in present]
        return [
            Prediction(
                r.id,
                r.text,
                r.gold,
                canonical_answer(chosen),
                canonical_answer(chosen),
                r.slices,
                gold_labels=r.gold_labels,
                predicted_labels=chosen,
                answer_labels=chosen,
            )
            for r, chosen in zip(rows, sets, strict=True)
        ]

    def report(
        self,
        model: list[Prediction],
        labels: list[str],
        evaluation: Evaluation,
        seed: int,
        task: str = "classify",
    ) -> dict[str, dict[str, Any]]:
        """Each baseline on the model's rows: its metrics, intervals and the model's paired tests
        against it (difference = model - baseline); the majority baseline also names its label."""
        sets = self.majority_labels is not None
        return {
            name: {
                **({"label": self.majority} if name == "majority" else {}),
                **({"threshold": self.threshold} if name != "majority" and sets else {}),
                **score_baseline(self.predict(name, model), model, labels, evaluation, seed, task),
            }
            for name in BASELINES
        }


def fit_baselines(train: Sequence[Example], labels: Sequence[str], seed: int) -> Baselines:
    """Both baselines from the labelled rows of the train split (there must be one); on label
    sets when the rows carry them (a multilabel task)."""
    rows = [e for e in train if e.label is not None]
    texts, gold = [e.text for e in rows], [e.label for e in rows if e.label is not None]
    if not gold:
        raise ValueError("no labelled train rows to fit the baselines on")
    majority = majority_label(gold, labels)
    if rows[0].labels is not None:
        return _fit_set_baselines(rows, labels, majority, seed)
    if len(set(gold)) < 2:
        return Baselines(majority, None)
    model = tfidf_classifier(seed)
    model.fit(texts, gold)
    return Baselines(majority, model)


def _fit_set_baselines(rows: list[Example], labels: Sequence[str], majority: str, seed: int) -> Baselines:
    """The most common label set, and one regression per label on the same features."""
    majority_labels = next(e.labels for e in rows if e.label == majority)
    assert majority_labels is not None
    index = {label: i for i, label in enumerate(labels)}
    present = np.zeros((len(rows), len(labels)), dtype=int)
    for r, e in enumerate(rows):
        present[r, [index[label] for label in e.labels or ()]] = 1
    if len({e.label for e in rows}) < 2:
        return Baselines(majority, None, majority_labels, tuple(labels))
    texts = [e.text for e in rows]
    model = fit_quietly(tfidf_classifier(seed, multilabel=True), texts, present)
    threshold = (
        best_threshold(present.ravel(), out_of_fold(texts, present, seed).ravel())
        if len(rows) >= 2 * FOLDS  # else too few rows to cross-validate: 0.5
        else DEFAULT
    )
    return Baselines(majority, model, majority_labels, tuple(labels), threshold)


def majority_label(gold: Sequence[str], labels: Sequence[str]) -> str:
    """The most common label; a tie goes to the label first in `labels`, then alphabetically."""
    counts = Counter(gold)
    order = {label: i for i, label in enumerate(labels)}
    return min(counts, key=lambda label: (-counts[label], order.get(label, len(order)), label))


def score_baseline(
    baseline: list[Prediction],
    model: list[Prediction],
    labels: list[str],
    evaluation: Evaluation,
    seed: int,
    task: str = "classify",
) -> dict[str, Any]:
    """A baseline's predictions scored like the model's: the task kind's metrics, the bootstrap
    95% intervals and the paired tests of the model against it over the whole split (slices are
    the model's business; the tests' Holm family is the metrics)."""
    metrics = list(dict.fromkeys([*HEADLINE_METRICS[task], *judged_metrics(evaluation)]))
    overall = evaluation.model_copy(update={"metrics": metrics, "slices": []})
    scored = METRICS_BY_TASK[task](baseline, labels)
    return {
        "n": scored["n"],
        **{m: scored[m] for m in metrics},
        "invalid_rate": scored["invalid_rate"],
        "ci": overall_intervals(baseline, labels, overall, seed),
        "tests": compare_predictions(model, baseline, labels, overall, seed),
    }


def overall_test(baseline: dict[str, Any], metric: str) -> dict[str, Any] | None:
    """The model's paired test against `baseline` on `metric` over the whole split, if made."""
    tests = baseline.get("tests") or []
    return next((t for t in tests if t["scope"] == OVERALL and t["metric"] == metric), None)


def significantly_above(test: dict[str, Any], p: float) -> bool:
    """The model is above the baseline, and the paired test says it is no accident (p < `p`)."""
    return bool(test["difference"] > 0 and test["p"] < p)
