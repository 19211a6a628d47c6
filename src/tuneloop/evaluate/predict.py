"""Predict labels by generation, and map each output to the label set.

The mapping rule is stated, not hidden: an output counts as a label when it equals the label
after normalising case, surrounding whitespace and punctuation, and spaces versus underscores.
Anything else is an invalid output: it is counted wrong and reported as the invalid rate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tuneloop.data.example import Example
from tuneloop.label_text import normalise


@dataclass(frozen=True)
class Prediction:
    id: str
    text: str
    gold: str | None
    output: str
    predicted: str | None  # None: the output is not a label
    slices: dict[str, str] = field(default_factory=dict)
    probabilities: dict[str, float] | None = None  # per label, when scored by log-likelihood

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
        return asdict(self)


def label_mapper(labels: list[str]) -> dict[str, str]:
    return {normalise(label): label for label in labels}


def predict_labels(
    model: torch.nn.Module,
    tokenizer: Any,
    examples: list[Example],
    labels: list[str],
    max_new_tokens: int = 16,
    batch_size: int = 64,
    console: Console | None = None,
    show_progress: bool = True,
) -> list[Prediction]:
    """Greedy generation in batches (left padding), each output mapped to the label set."""
    mapper = label_mapper(labels)
    # Never cut a label short: a user's tokenizer may need more tokens for a label than configured.
    longest = max(
        (len(tokenizer(label, add_special_tokens=False)["input_ids"]) for label in labels), default=0
    )
    max_new_tokens = max(max_new_tokens, longest + 1)
    model.eval()
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    out: list[Prediction] = []
    progress = Progress(
        TextColumn("[bold]predict"),
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
                for example, text in zip(
                    batch, _generate(model, tokenizer, batch, max_new_tokens), strict=True
                ):
                    predicted = mapper.get(normalise(text))
                    out.append(
                        Prediction(example.id, example.text, example.label, text, predicted, example.slices)
                    )
                progress.advance(task, len(batch))
    finally:
        tokenizer.padding_side = side
    return out


def _generate(model: torch.nn.Module, tokenizer: Any, batch: list[Example], max_new_tokens: int) -> list[str]:
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
        do_sample=False,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    new_tokens = generated[:, encoded["input_ids"].shape[1] :]
    return [text.strip() for text in tokenizer.batch_decode(new_tokens, skip_special_tokens=True)]
