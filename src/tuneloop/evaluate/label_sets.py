"""Predict label sets for a multilabel task: the generated answer, and each label's presence score.

Under both scorings the model first answers greedily and the answer is parsed into a set S
(`set_parsing.py`; invalid outputs are kept with their reason). `scoring: generate` stops there: S
is the prediction, and an invalid output predicts no valid set (scored as the empty set,
`multilabel_metrics.py`).

`scoring: loglik` (the default) then scores, against the same prompt, the canonical answer S and,
for every label L, the answer with L flipped (S with L added, or S without it), each a whole
answer ending in the end-of-answer token, in one `scoring.score_answers` call per batch (each
prompt against its own candidates, their shared prefixes fed once). The presence score of L is

    p(L) = sigmoid(log p(S with L) - log p(S without L))

the model's odds of the set with L against the set without it, everything else held at its own
answer. Why this and not one softmax over labels or a first-token probability: the model was
trained to write whole sets, so asking it to compare two whole sets asks what it learnt, and
the score takes the other labels of the answer into account (a label that only goes with
another). It costs one prompt pass and one answer pass of 1 + labels candidates per row. An
invalid answer is scored from the empty set. A threshold then decides the set: the labels with
p(L) >= threshold (at 0.5 that is the labels each comparison keeps), held to the spec's bounds by
score (the top `max_labels`; the best labels added up to `min_labels`); `thresholds.py` tunes it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import torch
from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.evaluate.parsing import Rule
from tuneloop.evaluate.predict import BatchPredictor, Prediction, generate_answers, in_batches
from tuneloop.evaluate.scoring import label_answers, score_answers
from tuneloop.evaluate.set_parsing import LabelSetParser
from tuneloop.label_text import canonical_answer

MAX_ANSWER_TOKENS = 64  # the generation budget's ceiling, whatever the bounds would allow


def predict_label_sets(
    model: torch.nn.Module,
    tokenizer: Any,
    examples: list[Example],
    labels: list[str],
    bounds: tuple[int, int],
    threshold: float = 0.5,
    max_new_tokens: int = 16,
    batch_size: int = 64,
    console: Console | None = None,
    show_progress: bool = True,
    scoring: str = "loglik",
    parsing: Rule = "lenient",
) -> list[Prediction]:
    """A label set for each example, in batches; with `scoring="loglik"` presence scores too, and
    the set decided at `threshold`."""
    parser = LabelSetParser(labels, bounds)
    budget = answer_budget(tokenizer, labels, bounds, max_new_tokens)

    def predict(model: torch.nn.Module, batch: list[Example]) -> list[Prediction]:
        out = []
        for e, text in zip(batch, generate_answers(model, tokenizer, batch, budget), strict=True):
            parsed = parser.parse_both(text)
            answer = parsed[parsing].labels
            prediction = Prediction(
                e.id,
                e.text,
                e.label,
                text,
                None if answer is None else canonical_answer(answer),
                e.slices,
                parsed={
                    rule: None if p.labels is None else canonical_answer(p.labels)
                    for rule, p in parsed.items()
                },
                gold_labels=e.labels,
                predicted_labels=answer,
                answer_labels=answer,
            )
            out.append(prediction)
        if scoring != "loglik":
            return out
        prompts = [e.prompt_messages for e in batch]
        scores = presence_scores(model, tokenizer, prompts, labels, [p.answer_labels or () for p in out])
        return [
            decide(replace(p, label_scores=s), labels, bounds, threshold)
            for p, s in zip(out, scores, strict=True)
        ]

    batches: BatchPredictor = predict
    title = f"predict label sets ({scoring})"
    return in_batches(model, tokenizer, examples, batches, batch_size, title, console, show_progress)


def answer_budget(tokenizer: Any, labels: list[str], bounds: tuple[int, int], max_new_tokens: int) -> int:
    """New tokens to generate: enough for the longest answer the bounds allow (the `max_labels`
    longest labels and their separators), at least `max_new_tokens`, at most `MAX_ANSWER_TOKENS`."""
    lengths = sorted(
        (len(tokenizer(f"{label}, ", add_special_tokens=False)["input_ids"]) for label in labels),
        reverse=True,
    )
    longest = sum(lengths[: max(bounds[1], 1)]) + 1
    return max(max_new_tokens, min(longest, MAX_ANSWER_TOKENS))


def presence_scores(
    model: torch.nn.Module,
    tokenizer: Any,
    prompts: list[list[dict[str, Any]]],
    labels: list[str],
    answers: list[tuple[str, ...]],
) -> list[dict[str, float]]:
    """p(L) for every label of each prompt: the sigmoid of the log-likelihood of the prompt's answer
    with L against the answer without it, the other labels as in its answer. One call scores the
    whole batch, each prompt against its own candidates."""
    candidates = []
    for answer in answers:
        chosen = set(answer)
        flipped = [tuple(x for x in labels if (x in chosen) != (x == label)) for label in labels]
        candidates.append([canonical_answer(answer), *(canonical_answer(s) for s in flipped)])
    # An answer's tokens do not depend on the prompt (classify reads its labels' off one prompt
    # too), so each distinct candidate of the batch is tokenized once.
    distinct = sorted({answer for c in candidates for answer in c})
    read = label_answers(tokenizer, distinct, prompts[0])
    ids = dict(zip(read.labels, read.token_ids, strict=True))
    totals = score_answers(model, tokenizer, prompts, [[ids[a] for a in c] for c in candidates]).tolist()
    out = []
    for answer, total in zip(answers, totals, strict=True):
        own, chosen = total[0], set(answer)
        scores = {}
        for label, other in zip(labels, total[1:], strict=True):
            with_label, without = (own, other) if label in chosen else (other, own)
            scores[label] = _sigmoid(with_label - without)
        out.append(scores)
    return out


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def decide(
    prediction: Prediction, labels: list[str], bounds: tuple[int, int], threshold: float
) -> Prediction:
    """The prediction's set from its presence scores: every label at or above `threshold`, then
    the spec's bounds held by score (ties in schema order)."""
    scores = prediction.label_scores
    if scores is None:
        return prediction
    ranked = sorted(labels, key=lambda label: -scores[label])
    low, high = bounds
    kept = [label for label in ranked if scores[label] >= threshold][:high]
    kept += [label for label in ranked if label not in kept][: max(0, low - len(kept))]
    chosen = tuple(label for label in labels if label in kept)
    return replace(prediction, predicted_labels=chosen, predicted=canonical_answer(chosen))
