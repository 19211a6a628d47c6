"""Answering a batch of served requests with the task's own decoding.

A classify or multilabel task answers within its labels, by the task card's scoring, exactly as
evaluation predicts (`predict_by_card`): the answer is the label (or the canonical label set) and
the `tuneloop` extension carries the label probabilities (classify, log-likelihood scoring) or
each label's presence score and the threshold (multilabel), so a client can act on confidence.
`max_tokens`, `temperature` and `stop` do not apply to a label. A generate task generates:
greedy at temperature 0 (the default), sampled above it, cut at the first stop sequence. An
extract task generates the same way, inside the JSON Schema when the card says `constrained` (as
evaluation decodes, `evaluate/constrained.py`), and the extension carries the record as read
(`record`, canonical values; None when it does not parse), whether it is `valid`, and each
`problem` (a value the message does not hold included), so a client never parses it again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.evaluate.constrained import schema_constraint
from tuneloop.evaluate.predict import Prediction, generate_tokens, in_batches
from tuneloop.evaluate.scoring_report import predict_by_card
from tuneloop.extract.answer_check import check_answer
from tuneloop.label_text import canonical_answer
from tuneloop.serving.served import ServedModel
from tuneloop.spec import LABELLED_TASKS
from tuneloop.task_card import TaskCard

QUIET = Console(quiet=True)  # a served batch shows no progress bar


@dataclass(frozen=True)
class Query:
    """One request's conversation and sampling settings (OpenAI's names)."""

    messages: list[dict[str, str]]
    max_tokens: int | None = None  # None: the task card's max_new_tokens
    temperature: float = 0.0
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    text: str
    finish_reason: str  # "stop" or "length", as OpenAI says it
    prompt_tokens: int
    completion_tokens: int
    labels: dict[str, Any] | None = None  # the label part of the `tuneloop` extension


def answer_batch(served: ServedModel, queries: list[Query]) -> list[Answer]:
    """Answer every query, in one batched pass per group of equal settings."""
    card, tokenizer = served.target.card, served.tokenizer
    examples = [as_example(card, q.messages) for q in queries]
    if card.task in LABELLED_TASKS:
        predictions = predict_by_card(served.model, tokenizer, examples, card, len(examples), QUIET)
        texts = [
            (text, "stop", len(_tokens(tokenizer, text)))
            for text in (label_answer(card, p) for p in predictions)
        ]
        extras: list[dict[str, Any] | None] = [label_extension(card, p) for p in predictions]
    else:
        texts = _generated(served, queries, examples)
        extras = [
            record_extension(card, text, e) if card.task == "extract" else None
            for (text, _, _), e in zip(texts, examples, strict=True)
        ]
    return [
        Answer(text, finish, _count(tokenizer, e), used, extra)
        for (text, finish, used), e, extra in zip(texts, examples, extras, strict=True)
    ]


def as_example(card: TaskCard, messages: list[dict[str, str]]) -> Example:
    """A request's conversation as the model was trained to read it: with the card's system
    prompt first when the client sent none."""
    if card.system and not any(m["role"] == "system" for m in messages):
        messages = [{"role": "system", "content": card.system}, *messages]
    return Example(messages, None, "served")


def label_answer(card: TaskCard, p: Prediction) -> str:
    """The label (or label set) decoded, or the raw output when generation gave no valid one."""
    if card.task == "multilabel":
        return canonical_answer(p.predicted_labels) if p.predicted_labels is not None else p.output
    return p.predicted if p.predicted is not None else p.output


def label_extension(card: TaskCard, p: Prediction) -> dict[str, Any]:
    """What a client needs to act on confidence: the decoded label(s) and their scores."""
    if card.task == "multilabel":
        labels = list(p.predicted_labels) if p.predicted_labels is not None else None
        return {"labels": labels, "label_scores": p.label_scores, "threshold": card.threshold}
    return {"label": p.predicted, "probabilities": p.probabilities}


def record_extension(card: TaskCard, text: str, example: Example) -> dict[str, Any]:
    """An extraction answer as read against the schema and the request's text."""
    checked = check_answer(text, card.fields, example.text)
    problems = [{"kind": p.kind, "field": p.field, "detail": p.detail} for p in checked.problems]
    return {"record": checked.record, "valid": checked.valid, "problems": problems}


def _generated(
    served: ServedModel, queries: list[Query], examples: list[Example]
) -> list[tuple[str, str, int]]:
    """Generated answers, one pass per (max_tokens, temperature) group, each cut at its stops:
    (text, finish reason, tokens generated)."""
    groups: dict[tuple[int, float], list[int]] = defaultdict(list)
    for i, q in enumerate(queries):
        groups[(q.max_tokens or served.target.card.max_new_tokens, q.temperature)].append(i)
    out: list[tuple[str, str, int]] = [("", "stop", 0)] * len(queries)
    tokenizer, card = served.tokenizer, served.target.card
    constrained = card.task == "extract" and card.decoding == "constrained"
    allowed = schema_constraint(tokenizer, card.fields) if constrained else None
    for (budget, temperature), members in groups.items():

        def generate(
            model: Any, batch: list[Example], budget: int = budget, t: float = temperature
        ) -> list[list[int]]:
            return generate_tokens(model, tokenizer, batch, budget, t, allowed=allowed)

        chosen = [examples[i] for i in members]
        found = in_batches(served.model, tokenizer, chosen, generate, len(chosen), "serve", QUIET, False)
        for i, ids in zip(members, found, strict=True):
            ran_out = len(ids) == budget and ids[-1] != tokenizer.eos_token_id
            text = tokenizer.decode(ids, skip_special_tokens=True).strip()
            out[i] = (*cut_at_stop(text, queries[i].stop, "length" if ran_out else "stop"), len(ids))
    return out


def cut_at_stop(text: str, stops: tuple[str, ...], finish: str) -> tuple[str, str]:
    """The text up to its first stop sequence (finish "stop"), or whole with the finish reason
    generation gave ("length": it ran out of tokens)."""
    at = min((i for s in stops if (i := text.find(s)) >= 0), default=-1)
    return (text[:at], "stop") if at >= 0 else (text, finish)


def _tokens(tokenizer: Any, text: str) -> list[int]:
    ids: list[int] = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids


def _count(tokenizer: Any, example: Example) -> int:
    """The prompt's length in tokens, chat template included."""
    encoded = tokenizer.apply_chat_template(
        example.prompt_messages, add_generation_prompt=True, tokenize=True, return_dict=True
    )
    return len(encoded["input_ids"])
