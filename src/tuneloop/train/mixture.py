"""A phase's training rows: drawn from its sources by weight, tokenized with their loss mask.

Sources are `task` (the task's training examples), `inputs` (their input text alone, what a general
phase trains on) and `unlabeled` (domain or general text). A chat row trains only its answer (the
tokens the chat template marks with `{% generation %}`); a text row trains every token, as language
modelling. So one `sft` phase can mix both, e.g. 80% task and 20% text to keep some of what the
general phase learned, as Axolotl and LLaMA-Factory mix datasets. In a `causal_lm` phase the task's
examples are read as their input text.

Weights: the first source of `mix` keeps all its rows; every other source is drawn in proportion,
`n = round(n_first * weight / weight_first)`, without replacement when it has enough rows and
upsampled (every row, then a seeded draw of the rest) when it has not. `max_rows` scales every
count down in proportion. Without `mix`, a phase reads all of its kind's default sources.

Rows are tokenized here, not by TRL, because TRL tokenizes a dataset as all chat or all text; the
mask column (`assistant_masks`) is what TRL turns into labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from datasets import Dataset

from tuneloop.data.example import Example
from tuneloop.spec import Phase

BATCH = 256


@dataclass(frozen=True)
class PhaseRow:
    """One row of a phase's training set: an example, trained as a chat or as plain text."""

    example: Example
    as_text: bool  # train every token of the input text, not the answer


@dataclass(frozen=True)
class MixPart:
    """What a phase drew from one source, for the run record and the report."""

    source: str
    weight: float
    available: int
    drawn: int
    upsampled: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def draw_rows(
    phase: Phase, parts: dict[str, list[Example]], seed: int
) -> tuple[list[PhaseRow], list[MixPart]]:
    """The phase's training rows and, per source, how many were drawn."""
    as_text = {"task": phase.kind == "causal_lm", "inputs": True, "unlabeled": True}
    weights: dict[str, float] = {str(name): w for name, w in (phase.mix or {"task": 1.0}).items()}
    if phase.mix is None and phase.kind == "causal_lm":
        weights["unlabeled"] = 1.0
    sources = {name: parts.get(name if name == "unlabeled" else "train", []) for name in weights}
    wanted = _counts(phase, weights, {name: len(rows) for name, rows in sources.items()})
    rng = np.random.default_rng(seed)
    rows: list[PhaseRow] = []
    drawn: list[MixPart] = []
    for name, weight in weights.items():
        available = sources[name]
        picked = _pick(len(available), wanted[name], rng)
        rows.extend(PhaseRow(available[i], as_text[name]) for i in picked)
        drawn.append(MixPart(name, weight, len(available), len(picked), len(picked) > len(available)))
    return rows, drawn


def _counts(phase: Phase, weights: dict[str, float], available: dict[str, int]) -> dict[str, int]:
    if phase.mix is None:  # every row of every default source
        counts = dict(available)
    else:
        first, *_ = weights
        counts = {name: round(available[first] * w / weights[first]) for name, w in weights.items()}
    total = sum(counts.values())
    if phase.max_rows and total > phase.max_rows:
        counts = {name: n * phase.max_rows // total for name, n in counts.items()}
    return counts


def _pick(available: int, wanted: int, rng: np.random.Generator) -> list[int]:
    if available == 0 or wanted == 0:
        return []
    if wanted <= available:
        return sorted(rng.choice(available, wanted, replace=False).tolist())
    whole, rest = divmod(wanted, available)
    return list(range(available)) * whole + sorted(rng.choice(available, rest, replace=False).tolist())


def encode(
    tokenizer: Any, rows: list[PhaseRow], template: str | None
) -> Iterator[tuple[list[int], list[int]]]:
    """Token ids and loss mask (1 = trained) of every row, in order; text ends with the end token
    (as TRL appends it) so a general phase learns where a text stops."""
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        chats = [r.example.messages for r in batch if not r.as_text]
        texts = [r.example.text + tokenizer.eos_token for r in batch if r.as_text]
        chat_enc = (
            tokenizer.apply_chat_template(
                chats, chat_template=template, return_dict=True, return_assistant_tokens_mask=True
            )
            if chats
            else {"input_ids": [], "assistant_masks": []}
        )
        text_ids = tokenizer(texts)["input_ids"] if texts else []
        chat_it = zip(chat_enc["input_ids"], chat_enc["assistant_masks"], strict=True)
        text_it = iter(text_ids)
        for row in batch:
            if row.as_text:
                ids = list(next(text_it))
                yield ids, [1] * len(ids)
            else:
                ids, mask = next(chat_it)
                yield list(ids), list(mask)


def as_dataset(encoded: list[tuple[list[int], list[int]]]) -> Dataset:
    """The pre-tokenized form TRL trains on as is (it builds labels from `assistant_masks`)."""
    return Dataset.from_dict(
        {"input_ids": [ids for ids, _ in encoded], "assistant_masks": [mask for _, mask in encoded]}
    )
