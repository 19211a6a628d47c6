from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from tests.conftest import TINY_SIZES, banking_rows
from tuneloop.data.example import Example, build_messages
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.answer_tree import answer_tree, tree_batch
from tuneloop.evaluate.predict import predict_labels
from tuneloop.evaluate.scoring import label_answers, score_answers, score_batch
from tuneloop.models import load_model_and_tokenizer
from tuneloop.spec import TinyModel
from tuneloop.train.base_model import build_tiny_model

ROWS = banking_rows(60, labels=4)
LABELS = sorted({r["category"] for r in ROWS})


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    out = tmp_path_factory.mktemp("tiny") / "m"
    # A label that is a prefix of another, so the end-of-answer token has to decide between them.
    build_tiny_model(TinyModel(**TINY_SIZES), [r["text"] for r in ROWS], out, [*LABELS, "card"], seed=3)
    return load_model_and_tokenizer(str(out))


def _examples(n: int) -> list[Example]:
    # Texts of different lengths in one batch, so left padding and position ids are exercised.
    return [Example(build_messages(r["text"], r["category"], "sys"), r["category"], "x") for r in ROWS[:n]]


def _brute_force(model: Any, tokenizer: Any, example: Example, label: str) -> float:
    """The answer's log-likelihood the slow way: the whole conversation tokenized in one go, one
    forward pass, no cache and no padding; the answer runs to the end-of-turn token included."""
    prompt = tokenizer.apply_chat_template(example.prompt_messages, add_generation_prompt=True)
    full = tokenizer.apply_chat_template([*example.prompt_messages, {"role": "assistant", "content": label}])
    prompt, full = list(prompt["input_ids"]), list(full["input_ids"])
    assert full[: len(prompt)] == prompt
    answer = full[len(prompt) : full.index(tokenizer.eos_token_id, len(prompt)) + 1]
    with torch.inference_mode():
        logprobs = model(input_ids=torch.tensor([full])).logits[0].log_softmax(-1)
    return math.fsum(logprobs[len(prompt) - 1 + i, t].item() for i, t in enumerate(answer))


def test_scores_equal_brute_force_log_likelihood(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    model.eval()
    labels = [*LABELS, "card"]
    examples = _examples(6)
    tokenizer.padding_side = "left"
    answers = label_answers(tokenizer, labels, examples[0].prompt_messages)
    assert all(ids[-1] == tokenizer.eos_token_id for ids in answers.token_ids)
    with torch.inference_mode():
        scores = score_batch(model, tokenizer, [e.prompt_messages for e in examples], answers)
    lengths = {len(tokenizer.apply_chat_template(e.prompt_messages)["input_ids"]) for e in examples}
    assert len(lengths) > 1  # padding really happened
    for example, score in zip(examples, scores, strict=True):
        for label in labels:
            assert score.logprobs[label] == pytest.approx(
                _brute_force(model, tokenizer, example, label), abs=1e-4
            )
        assert sum(score.probabilities.values()) == pytest.approx(1.0)
        assert score.best == max(labels, key=lambda label: score.logprobs[label])


def test_answer_chunks_do_not_change_scores(tiny: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Scoring the labels' answers in several memory-bounded passes gives the one-pass numbers."""
    model, tokenizer = tiny
    tokenizer.padding_side = "left"
    examples = _examples(5)
    answers = label_answers(tokenizer, LABELS, examples[0].prompt_messages)
    with torch.inference_mode():
        whole = score_batch(model, tokenizer, [e.prompt_messages for e in examples], answers)
        monkeypatch.setattr("tuneloop.evaluate.scoring.LOGIT_BUDGET", 1)  # one label per pass
        chunked = score_batch(model, tokenizer, [e.prompt_messages for e in examples], answers)
    for a, b in zip(whole, chunked, strict=True):
        assert a.logprobs == pytest.approx(b.logprobs, abs=1e-5)


def test_predict_labels_by_loglik_fills_probabilities(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    examples = _examples(7)
    batched = predict_labels(model, tokenizer, examples, LABELS, batch_size=3, show_progress=False)
    single = predict_labels(model, tokenizer, examples, LABELS, batch_size=1, show_progress=False)
    assert [p.predicted for p in batched] == [p.predicted for p in single]
    for p in batched:
        assert p.predicted in LABELS and p.output == p.predicted
        assert p.probabilities is not None and set(p.probabilities) == set(LABELS)
        assert p.confidence == max(p.probabilities.values())
        assert p.parsed is None
    assert tokenizer.padding_side == "left"  # the fixture set it; predict_labels restores what it found


def test_a_template_that_rewrites_the_answer_is_refused(tiny: tuple[Any, Any]) -> None:
    _, tokenizer = tiny

    class Upper:
        eos_token = tokenizer.eos_token

        def apply_chat_template(self, messages: list[dict[str, str]], **kwargs: Any) -> str:
            return "".join(m["content"].upper() for m in messages)

    with pytest.raises(TuneloopError, match=r"evaluation\.scoring: generate"):
        label_answers(Upper(), ["card_arrival"], [{"role": "user", "content": "hi"}])


def test_no_examples_predict_nothing(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    assert predict_labels(model, tokenizer, [], LABELS, show_progress=False) == []


def test_a_shared_prefix_is_one_node() -> None:
    tree = answer_tree([[5, 6, 9], [5, 7, 9], [5, 6, 8, 9], [4]])
    # fed: [5], [5,6], [5,7], [5,6,8]; the answer [4] and every answer's last token feed nothing
    assert tree.tokens == [5, 6, 7, 8] and tree.depths == [0, 1, 1, 2] and tree.parents == [-1, 0, 0, 1]
    assert tree.steps == [[(0, 6), (1, 9)], [(0, 7), (2, 9)], [(0, 6), (1, 8), (3, 9)], []]
    batch = tree_batch([tree, answer_tree([[1, 2]])], pad=0, device=torch.device("cpu"))
    assert batch.seen[0, 3].tolist() == [True, True, False, True]  # [5,6,8] sees [5], [5,6] and itself
    # the second tree's one node sees itself; the padding nodes only themselves, never nothing
    assert batch.seen[1].tolist() == torch.eye(4, dtype=torch.bool).tolist()
    assert batch.counted[1].tolist() == [[True, False, False]] + [[False] * 3] * 3
    with pytest.raises(ValueError, match="no token"):
        answer_tree([[1], []])


def test_answers_that_differ_per_prompt_equal_brute_force(tiny: tuple[Any, Any]) -> None:
    """Per-prompt candidates (as a multilabel task scores label sets): each prompt's own answers,
    of different counts, score as they would alone; the missing places are -inf."""
    model, tokenizer = tiny
    model.eval()
    tokenizer.padding_side = "left"
    examples = _examples(3)
    wanted = [LABELS[:2], [LABELS[2], "card", LABELS[0]], ["card"]]
    answers = [
        label_answers(tokenizer, labels, e.prompt_messages).token_ids
        for labels, e in zip(wanted, examples, strict=True)
    ]
    with torch.inference_mode():
        total = score_answers(model, tokenizer, [e.prompt_messages for e in examples], answers)
    assert total.shape == (3, 3)
    for i, (labels, example) in enumerate(zip(wanted, examples, strict=True)):
        for j, label in enumerate(labels):
            assert total[i, j].item() == pytest.approx(
                _brute_force(model, tokenizer, example, label), abs=1e-4
            )
        assert torch.isneginf(total[i, len(labels) :]).all()
