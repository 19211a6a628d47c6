from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score

from tests.conftest import TINY_SIZES, banking_rows
from tuneloop.data.example import Example, build_messages
from tuneloop.evaluate.label_sets import decide, predict_label_sets
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.thresholds import precision_recall, tune_threshold
from tuneloop.label_text import canonical_answer
from tuneloop.models import load_model_and_tokenizer
from tuneloop.spec import TinyModel
from tuneloop.train.base_model import build_tiny_model

ROWS = banking_rows(30, labels=4)
LABELS = ["card", "refund", "transfer"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    out = tmp_path_factory.mktemp("tiny") / "m"
    build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in ROWS], out, LABELS, seed=3)
    return load_model_and_tokenizer(str(out))


def _example(text: str, labels: tuple[str, ...]) -> Example:
    answer = canonical_answer(labels)
    return Example(build_messages(text, answer, "sys"), answer, "x", labels=labels)


def _loglik(model: Any, tokenizer: Any, example: Example, answer: str) -> float:
    """The whole answer's log-likelihood the slow way: one pass over the conversation, no cache."""
    prompt = tokenizer.apply_chat_template(example.prompt_messages, add_generation_prompt=True)["input_ids"]
    full = tokenizer.apply_chat_template([*example.prompt_messages, {"role": "assistant", "content": answer}])
    full = list(full["input_ids"])
    end = full.index(tokenizer.eos_token_id, len(prompt)) + 1
    with torch.inference_mode():
        logprobs = model(input_ids=torch.tensor([full])).logits[0].log_softmax(-1)
    return math.fsum(logprobs[len(prompt) - 1 + i, t].item() for i, t in enumerate(full[len(prompt) : end]))


def test_presence_scores_compare_the_answer_with_and_without_each_label(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    examples = [_example(r["text"], ("card",) if i % 2 else ()) for i, r in enumerate(ROWS[:3])]
    predictions = predict_label_sets(model, tokenizer, examples, LABELS, (0, 3), show_progress=False)
    for example, p in zip(examples, predictions, strict=True):
        assert p.gold_labels == example.labels and p.label_scores is not None
        answer = p.answer_labels or ()  # an untrained model's answer is mostly invalid: scored from none
        for label in LABELS:
            with_label = tuple(x for x in LABELS if x in answer or x == label)
            without = tuple(x for x in LABELS if x in answer and x != label)
            difference = _loglik(model, tokenizer, example, canonical_answer(with_label)) - _loglik(
                model, tokenizer, example, canonical_answer(without)
            )
            assert p.label_scores[label] == pytest.approx(1 / (1 + math.exp(-difference)), abs=1e-4)
        assert p.predicted_labels == tuple(x for x in LABELS if p.label_scores[x] >= 0.5)
        assert p.predicted == canonical_answer(p.predicted_labels)


def _scored(scores: dict[str, float], gold: tuple[str, ...] = ()) -> Prediction:
    return Prediction("r", "t", canonical_answer(gold), "", None, gold_labels=gold, label_scores=scores)


def test_decide_holds_the_bounds_by_score() -> None:
    p = _scored({"card": 0.9, "refund": 0.2, "transfer": 0.7})
    assert decide(p, LABELS, (0, 3), 0.5).predicted_labels == ("card", "transfer")
    assert decide(p, LABELS, (0, 1), 0.5).predicted_labels == ("card",)
    assert decide(p, LABELS, (1, 3), 0.95).predicted_labels == ("card",)
    assert decide(p, LABELS, (0, 3), 0.95).predicted == "none"


def test_the_threshold_maximises_micro_f1_and_ties_go_to_one_half() -> None:
    rows = [
        _scored({"card": 0.4, "refund": 0.1, "transfer": 0.05}, ("card",)),
        _scored({"card": 0.35, "refund": 0.3, "transfer": 0.2}, ("card",)),
        _scored({"card": 0.1, "refund": 0.45, "transfer": 0.0}, ("refund",)),
    ]
    assert tune_threshold(rows, LABELS) == pytest.approx(0.35)  # all three gold labels and nothing extra
    separable = [_scored({"card": 0.9, "refund": 0.1, "transfer": 0.2}, ("card",))]
    assert tune_threshold(separable, LABELS) == 0.5  # anything in (0.2, 0.9] is as good
    curve = precision_recall(rows, LABELS)
    assert curve is not None and curve["recall"][0] == 1.0
    assert 0 < curve["average_precision"] <= 1
    assert np.all(np.diff(curve["thresholds"]) > 0)


def test_each_label_with_a_gold_row_gets_its_own_curve_and_average_precision() -> None:
    rows = [
        _scored({"card": 0.4, "refund": 0.1, "transfer": 0.05}, ("card",)),
        _scored({"card": 0.35, "refund": 0.3, "transfer": 0.2}, ("card",)),
        _scored({"card": 0.1, "refund": 0.45, "transfer": 0.0}, ("refund",)),
        _scored({"card": 0.05, "refund": 0.5, "transfer": 0.1}, ("card",)),
    ]
    curve = precision_recall(rows, LABELS)
    assert curve is not None and set(curve["labels"]) == {"card", "refund"}  # no row holds transfer
    card = curve["labels"]["card"]
    assert card["average_precision"] == pytest.approx((1 + 1 + 3 / 4) / 3)  # the third hit ranks fourth
    assert card["average_precision"] == pytest.approx(
        average_precision_score([1, 1, 0, 1], [0.4, 0.35, 0.1, 0.05])
    )
    assert curve["labels"]["refund"]["average_precision"] == pytest.approx(0.5)  # ranked second of the two
    assert card["recall"][0] == 1.0 and len(card["precision"]) == len(card["recall"])


def test_generation_alone_predicts_the_parsed_answer_without_scores(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    examples = [_example(r["text"], ("refund",)) for r in ROWS[:2]]
    predictions = predict_label_sets(
        model, tokenizer, examples, LABELS, (0, 3), scoring="generate", show_progress=False
    )
    for p in predictions:
        assert p.label_scores is None
        assert p.predicted_labels == p.answer_labels
        assert p.predicted == (None if p.answer_labels is None else canonical_answer(p.answer_labels))
        assert set(p.parsed or {}) == {"strict", "lenient"}
