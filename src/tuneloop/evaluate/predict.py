"""Predict labels: by log-likelihood scoring of the labels, or by generation and parsing.

`scoring="loglik"` (the default, `evaluation.scoring`) scores every label's answer after one
shared prompt pass (see scoring.py): `output` is the top label and `probabilities` is filled.
`scoring="generate"` generates greedily and parses the output by both rules (see parsing.py):
`output` is the raw text, `parsed` holds the label under each rule, and `predicted` is the one
under `parsing`. An output that maps to no label is invalid: wrong, and counted in the invalid rate.
A multilabel task's predictions carry label sets as well (`label_sets.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeVar

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tuneloop.data.example import Example
from tuneloop.evaluate.parsing import LabelParser, Rule
from tuneloop.evaluate.scoring import label_answers, score_batch

Scoring = Literal["loglik", "generate"]


@dataclass(frozen=True)
class Prediction:
    id: str
    text: str
    gold: str | None
    output: str
    predicted: str | None  # None: the output is not a label
    slices: dict[str, str] = field(default_factory=dict)
    probabilities: dict[str, float] | None = None  # per label, when scored by log-likelihood
    parsed: dict[str, str | None] | None = None  # the label under each parsing rule, when generated
    # A multilabel task (label_sets.py; None otherwise): the gold set and the predicted set in
    # schema order (None: the output is no valid set), the generated answer's set under the
    # headline parsing rule (None: invalid), and each label's presence probability (loglik).
    gold_labels: tuple[str, ...] | None = None
    predicted_labels: tuple[str, ...] | None = None
    answer_labels: tuple[str, ...] | None = None
    label_scores: dict[str, float] | None = None
    # A generate task (generation.py; None otherwise): every reference of the input, the output
    # judged against all of them; whether generation stopped by itself (False: out of tokens);
    # per input attribute, whether the output states, omits or contradicts it (fidelity.py).
    references: tuple[str, ...] | None = None
    finished: bool | None = None
    fidelity: dict[str, str] | None = None
    # An extract task (extraction.py; None otherwise): the record read from the output (its
    # readable fields; None: no JSON object), per field [correct, wrong, missing, hallucinated]
    # against the gold record, and what the check found wrong (`answer_check.py`).
    record: dict[str, Any] | None = None
    field_counts: dict[str, list[int]] | None = None
    problems: tuple[str, ...] | None = None

    @property
    def correct(self) -> bool:
        return self.predicted is not None and self.predicted == self.gold

    @property
    def confidence(self) -> float | None:
        """The probability of the predicted label, when the scoring gives probabilities."""
        if self.probabilities is None or self.predicted is None:
            return None
        return self.probabilities.get(self.predicted)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.gold_labels is None:  # classify keeps the file it always wrote
            for key in ("gold_labels", "predicted_labels", "answer_labels", "label_scores"):
                del out[key]
        if self.references is None:
            for key in ("references", "finished", "fidelity"):
                del out[key]
        if self.field_counts is None:
            for key in ("record", "field_counts", "problems"):
                del out[key]
        return out


def predict_labels(
    model: torch.nn.Module,
    tokenizer: Any,
    examples: list[Example],
    labels: list[str],
    max_new_tokens: int = 16,
    batch_size: int = 64,
    console: Console | None = None,
    show_progress: bool = True,
    scoring: Scoring = "loglik",
    parsing: Rule = "lenient",
) -> list[Prediction]:
    """Predict a label for each example in batches (left padding), by `scoring`."""
    predict_batch = (
        _by_loglik(tokenizer, examples, labels)
        if scoring == "loglik"
        else _by_generation(labels, max_new_tokens, parsing, tokenizer)
    )
    return in_batches(
        model, tokenizer, examples, predict_batch, batch_size, f"predict ({scoring})", console, show_progress
    )


T = TypeVar("T")
BatchPredictor = Callable[[torch.nn.Module, list[Example]], list[Prediction]]


def in_batches(
    model: torch.nn.Module,
    tokenizer: Any,
    examples: list[Example],
    predict_batch: Callable[[torch.nn.Module, list[Example]], list[T]],
    batch_size: int,
    title: str,
    console: Console | None = None,
    show_progress: bool = True,
) -> list[T]:
    """`predict_batch` over the examples in batches, in inference mode, the tokenizer padding on
    the left, with a progress bar titled `title` (predictions, or a served batch's tokens)."""
    model.eval()
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    out: list[T] = []
    progress = Progress(
        TextColumn(f"[bold]{title}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        disable=not show_progress,  # inside training, the phase's own bar is the live display
    )
    try:
        with progress, torch.inference_mode():
            task = progress.add_task("predict", total=len(examples))
            for start in range(0, len(examples), batch_size):
                batch = examples[start : start + batch_size]
                out.extend(predict_batch(model, batch))
                progress.advance(task, len(batch))
    finally:
        tokenizer.padding_side = side
    return out


def _by_loglik(tokenizer: Any, examples: list[Example], labels: list[str]) -> BatchPredictor:
    answers = label_answers(tokenizer, labels, examples[0].prompt_messages) if examples else None

    def predict(model: torch.nn.Module, batch: list[Example]) -> list[Prediction]:
        assert answers is not None
        scores = score_batch(model, tokenizer, [e.prompt_messages for e in batch], answers)
        return [
            Prediction(e.id, e.text, e.label, s.best, s.best, e.slices, probabilities=s.probabilities)
            for e, s in zip(batch, scores, strict=True)
        ]

    return predict


def _by_generation(labels: list[str], max_new_tokens: int, parsing: Rule, tokenizer: Any) -> BatchPredictor:
    parser = LabelParser(labels)
    # Never cut a label short: a user's tokenizer may need more tokens for a label than configured.
    longest = max(
        (len(tokenizer(label, add_special_tokens=False)["input_ids"]) for label in labels), default=0
    )
    budget = max(max_new_tokens, longest + 1)

    def predict(model: torch.nn.Module, batch: list[Example]) -> list[Prediction]:
        out = []
        for e, text in zip(batch, generate_answers(model, tokenizer, batch, budget), strict=True):
            parsed = parser.parse_both(text)
            out.append(Prediction(e.id, e.text, e.label, text, parsed[parsing], e.slices, parsed=parsed))
        return out

    return predict


def generate_answers(
    model: torch.nn.Module, tokenizer: Any, batch: list[Example], max_new_tokens: int
) -> list[str]:
    """Greedy answers to a batch of prompts; the tokenizer must pad on the left."""
    answers = generate_tokens(model, tokenizer, batch, max_new_tokens)
    return [text.strip() for text in tokenizer.batch_decode(answers, skip_special_tokens=True)]


def generate_tokens(
    model: torch.nn.Module,
    tokenizer: Any,
    batch: list[Example],
    max_new_tokens: int,
    temperature: float = 0.0,
    allowed: Callable[[int, torch.Tensor], list[int]] | None = None,
) -> list[list[int]]:
    """Each prompt's new tokens up to and including its end-of-answer token (none: it ran out of
    `max_new_tokens`), greedy, or sampled at `temperature` above 0 (a served request); `allowed`
    names the tokens that may follow a sequence (constrained decoding, `constrained.py`). The
    tokenizer must pad on the left."""
    encoded = tokenizer.apply_chat_template(
        [e.prompt_messages for e in batch],
        add_generation_prompt=True,
        padding=True,
        return_tensors="pt",
        return_dict=True,
    ).to(next(model.parameters()).device)
    generated = model.generate(  # type: ignore[operator]
        **encoded,
        max_new_tokens=max_new_tokens,
        **({"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}),
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **({"prefix_allowed_tokens_fn": allowed} if allowed is not None else {}),
    )
    rows: list[list[int]] = generated[:, encoded["input_ids"].shape[1] :].tolist()
    ends = [
        row.index(tokenizer.eos_token_id) + 1 if tokenizer.eos_token_id in row else len(row) for row in rows
    ]
    return [row[:end] for row, end in zip(rows, ends, strict=True)]
