"""The loss-mask guard: before an `sft` phase, prove that every example trains its answer.

With assistant-only loss, an example trains only the tokens its chat template marks with
`{% generation %}`, less its assistant turns of weight 0 (`mixture.encode`); a row where some turns
have weight 0 is fine, a row where none trains is refused. Two failures are silent in TRL: a
template whose markers miss the answer or its end-of-turn token (the model never learns to stop;
TRL only logs a warning), and truncation at `max_length` that cuts the answer off (TRL drops fully
masked rows with a progress bar and trains on half answers). Users lose days to both. Here they
stop the phase before it starts, with the rows and the reason, so nothing is dropped silently.

A template without markers that TRL cannot patch either trains by rendered prefixes
(`turn_spans.py`), and the guard checks the same two things on the mask that route makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trl.chat_template_utils import (
    get_training_chat_template,
    has_generation_markers,
    is_chat_template_stop_token_trained,
)

from tuneloop.data.example import Example
from tuneloop.errors import TuneloopError
from tuneloop.train.mixture import PhaseRow, encode
from tuneloop.train.turn_spans import end_of_turn_trained

LISTED = 20


@dataclass(frozen=True)
class MaskProblem:
    source: str
    id: str
    reason: str


def training_template(tokenizer: Any) -> str:
    """The chat template a phase trains with: the model's own, or TRL's patched one for it; one
    without markers either is trained by prefixes (`turn_spans.py`)."""
    template = tokenizer.chat_template
    if not template:
        raise TuneloopError(
            "the model has no chat template; an sft phase needs one with {% generation %} markers"
        )
    if has_generation_markers(template):
        return str(template)
    try:
        patched = get_training_chat_template(tokenizer)
    except ValueError:  # TRL knows no marked version of it: the answers are found by prefixes
        return str(template)
    return str(patched or template)


def check_template(tokenizer: Any) -> str:
    """The training template, once it is known to train the end-of-turn token."""
    template = training_template(tokenizer)
    marked = has_generation_markers(template)
    if not (
        is_chat_template_stop_token_trained(tokenizer, chat_template=template)
        if marked
        else end_of_turn_trained(tokenizer, template)
    ):
        raise TuneloopError(
            "the chat template leaves the assistant's end-of-turn token out of the loss, so the model "
            "would never learn to stop: move it inside {% generation %}...{% endgeneration %}"
        )
    return template


def find_mask_problems(tokenizer: Any, examples: list[Example], max_length: int) -> list[MaskProblem]:
    rows = [PhaseRow(e, as_text=False) for e in examples]
    return problems_in(rows, list(encode(tokenizer, rows, check_template(tokenizer))), max_length)


def problems_in(
    rows: list[PhaseRow], encoded: list[tuple[list[int], list[int]]], max_length: int
) -> list[MaskProblem]:
    """The chat rows whose answer would not be trained in full, with the reason."""
    problems = []
    for row, (ids, mask) in zip(rows, encoded, strict=True):
        trained = [i for i, m in enumerate(mask) if m]
        reason = None if row.as_text else _reason(row.example, len(ids), trained, max_length)
        if reason:
            problems.append(MaskProblem(row.example.source, row.example.id, reason))
    return problems


def _reason(example: Example, length: int, trained: list[int], max_length: int) -> str | None:
    """Why the row would not train what it should, or None; a turn of weight 0 is not meant to train,
    so only the trained turns must survive truncation (the last one with its end-of-turn token)."""
    if not trained:
        turns = [m for m in example.messages if m["role"] == "assistant"]
        if turns and all(m.get("weight") == 0 for m in turns):
            return "every assistant turn has weight 0, so no token is marked for training"
        return "no token of the answer is marked for training (is the last message an assistant answer?)"
    if trained[0] >= max_length:
        return f"truncation to max_length {max_length} removes the whole answer ({length} tokens in all)"
    if trained[-1] >= max_length:
        return (
            f"truncation to max_length {max_length} cuts the answer before its end-of-turn token "
            f"({length} tokens in all)"
        )
    return None


def verify_loss_mask(problems: list[MaskProblem], examples: int, phase: str) -> None:
    """Stop the phase when any example would not train its full answer, listing the rows."""
    if not problems:
        return
    listed = "\n".join(f"  {p.source} (id {p.id}): {p.reason}" for p in problems[:LISTED])
    more = f"\n  … and {len(problems) - LISTED} more" if len(problems) > LISTED else ""
    raise TuneloopError(
        f"phase {phase!r}: {len(problems)} of {examples} examples would not train their full answer; "
        f"raise the phase's max_length or shorten or remove these rows:\n{listed}{more}"
    )
