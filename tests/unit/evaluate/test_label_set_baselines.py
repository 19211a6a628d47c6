"""The multilabel TF-IDF baseline: its presence threshold is tuned on the train split's out-of-fold
probabilities, as the model's is tuned on validation, so a comparison does not handicap it."""

from __future__ import annotations

import random

from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.baselines import Baselines, fit_baselines
from tuneloop.evaluate.multilabel_metrics import label_set_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.thresholds import DEFAULT
from tuneloop.label_text import canonical_answer

LABELS = [f"module{i}" for i in range(12)]
FILLER = ["please", "my", "the", "help", "I", "need", "today", "why", "is", "a", "can", "you"]


def _sets(n: int, seed: int) -> list[Example]:
    """Rows holding one to three of many labels, each marked by its own word among filler: each
    label is rare, so a one-vs-rest regression's probabilities for it stay mostly below 0.5."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        chosen = tuple(sorted(rng.sample(LABELS, rng.randint(1, 3)), key=LABELS.index))
        words = [*rng.sample(FILLER, 5), *(f"w{label[6:]}" for label in chosen)]
        rng.shuffle(words)
        answer = canonical_answer(chosen)
        rows.append(Example(build_messages(" ".join(words), answer, None), answer, "test", labels=chosen))
    return rows


def _micro_f1(baselines: Baselines, rows: list[Example]) -> float:
    scored = [
        Prediction(
            e.id, e.text, e.label or "", e.label, e.label, gold_labels=e.labels, predicted_labels=e.labels
        )
        for e in rows
    ]
    return float(label_set_metrics(baselines.predict("tfidf_logreg", scored), LABELS)["micro_f1"])


def test_the_threshold_is_tuned_below_one_half_where_rare_labels_need_it_and_wins() -> None:
    train, test = _sets(60, seed=1), _sets(200, seed=2)
    tuned = fit_baselines(train, LABELS, seed=0)
    assert tuned.threshold < DEFAULT
    at_half = Baselines(tuned.majority, tuned.tfidf, tuned.majority_labels, tuned.labels, DEFAULT)
    assert _micro_f1(tuned, test) > _micro_f1(at_half, test) + 0.05


def test_too_few_rows_to_cross_validate_keep_one_half() -> None:
    assert fit_baselines(_sets(8, seed=3), LABELS, seed=0).threshold == DEFAULT
