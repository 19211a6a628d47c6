"""The baselines beside every model: fitted on a train split, scored by the model's own metric,
interval and paired-test code on the model's rows."""

from __future__ import annotations

import random

from tests.unit.evaluate.factories import prediction
from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.baselines import fit_baselines, majority_label
from tuneloop.evaluate.compare import compare_predictions
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.slices import overall_intervals
from tuneloop.spec import Evaluation, SliceSpec
from tuneloop.spec.evaluation import BASELINES

LABELS = ["card", "transfer", "refund"]
WORDS = {
    "card": ["card", "plastic", "pin", "atm"],
    "transfer": ["transfer", "send", "recipient", "iban"],
    "refund": ["refund", "return", "money back", "reimburse"],
}
FILLER = ["please", "my", "the", "help", "I", "need", "today", "why", "is", "a"]


def _rows(n: int, seed: int, skew: int = 1) -> list[Example]:
    """Separable rows: each label's texts hold one of its own words among shared filler words.
    With `skew`, the first label is `skew` times as common as each other label."""
    rng = random.Random(seed)
    pool = [LABELS[0]] * skew + LABELS[1:]
    out = []
    for i in range(n):
        label = pool[i % len(pool)]
        words = [*rng.sample(FILLER, 4), rng.choice(WORDS[label])]
        rng.shuffle(words)
        out.append(Example(build_messages(" ".join(words), label, None), label, "test"))
    return out


def _scored(rows: list[Example], answer: str | None = None) -> list[Prediction]:
    """The model's predictions on `rows`: right on every row, or `answer` for every row."""
    return [prediction(e.id, e.label or "", answer or e.label, text=e.text) for e in rows]


def test_the_tfidf_baseline_is_well_above_chance_on_a_separable_set() -> None:
    baselines = fit_baselines(_rows(60, seed=1), LABELS, seed=0)
    test = _scored(_rows(30, seed=2))
    report = baselines.report(test, LABELS, Evaluation(bootstrap=200), seed=0)
    assert list(report) == list(BASELINES)
    assert report["tfidf_logreg"]["accuracy"] >= 0.9  # chance: 1/3
    assert report["majority"]["accuracy"] == 1 / 3 and report["majority"]["label"] == "card"


def test_the_majority_label_is_the_commonest_and_a_tie_goes_to_the_spec_order() -> None:
    assert majority_label(["refund", "card", "refund"], LABELS) == "refund"
    assert majority_label(["refund", "transfer"], LABELS) == "transfer"
    skewed = fit_baselines(_rows(40, seed=3, skew=3), LABELS, seed=0)
    assert skewed.majority == "card"
    assert {p.predicted for p in skewed.predict("majority", _scored(_rows(9, seed=4)))} == {"card"}


def test_baselines_are_scored_by_the_models_metrics_intervals_and_paired_tests() -> None:
    evaluation = Evaluation(metrics=["macro_recall"], bootstrap=200, slices=[SliceSpec(name="s", regex="a")])
    baselines = fit_baselines(_rows(60, seed=5), LABELS, seed=0)
    model = _scored(_rows(30, seed=6))
    report = baselines.report(model, LABELS, evaluation, seed=7)
    overall = evaluation.model_copy(
        update={"metrics": ["accuracy", "macro_f1", "macro_recall"], "slices": []}
    )
    for name, scored in report.items():
        answers = baselines.predict(name, model)
        assert [a.id for a in answers] == [m.id for m in model]
        expected = classification_metrics(answers, LABELS)
        assert {m: scored[m] for m in ("n", "accuracy", "macro_f1", "macro_recall", "invalid_rate")} == {
            m: expected[m] for m in ("n", "accuracy", "macro_f1", "macro_recall", "invalid_rate")
        }
        assert scored["ci"] == overall_intervals(answers, LABELS, overall, 7)
        assert scored["tests"] == compare_predictions(model, answers, LABELS, overall, 7)
        assert {t["scope"] for t in scored["tests"]} == {"overall"}  # slices are the model's business


def test_a_train_split_of_one_label_gives_two_constant_baselines() -> None:
    one = [e for e in _rows(30, seed=8) if e.label == "refund"]
    baselines = fit_baselines(one, LABELS, seed=0)
    model = _scored(_rows(6, seed=9))
    assert {p.predicted for p in baselines.predict("tfidf_logreg", model)} == {"refund"}


def test_the_fit_is_seeded() -> None:
    train, test = _rows(60, seed=10), _scored(_rows(30, seed=11))
    first = fit_baselines(train, LABELS, seed=3).predict("tfidf_logreg", test)
    second = fit_baselines(train, LABELS, seed=3).predict("tfidf_logreg", test)
    assert first == second
