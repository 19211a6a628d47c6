"""A phase's training rows: drawn from its sources by weight, tokenized with their loss mask.

Sources are `task` (the task's training examples), `inputs` (their input text alone, what a general
phase trains on) and `unlabeled` (domain or general text). A chat row trains only its answer (the
tokens the chat template marks with `{% generation %}`); a text row trains every token, as language
modelling. So one `sft` phase can mix both, e.g. 80% task and 20% text to keep some of what the
general phase learned, as Axolotl and LLaMA-Factory mix datasets. In a `causal_lm` phase the task's
examples are read as their input text. A generate task's input with several references trains each
reference as a chat row of its own (`_source_rows`).

Weights are shares of the phase's trained tokens by default (`mix_by: tokens`), because the loss is
averaged over trained tokens, not rows: a classification answer trains 2 tokens and a text row
every one of its ~15, so 10% of rows drawn as text would be 45% of what the phase learns from.
Each source's mean trained tokens per row is measured on a seeded sample of its rows (the same
encoding as training), and a source's row count is its share divided by that mean. `mix_by: rows`
draws rows in proportion to the weights, as Axolotl and LLaMA-Factory do. Either way the first
source of `mix` keeps all its rows; every other source is drawn as
`n = round(n_first * (weight / weight_first) * (cost_first / cost))` (cost: mean trained tokens, or
1 by rows), without replacement when it has enough rows and upsampled (every row, then a seeded
draw of the rest) when it has not. `max_rows` scales every count down in proportion. Without
`mix`, a phase reads all of its kind's default sources. The record of each source keeps the rows
drawn and the trained tokens they carry.

Rows are tokenized here, not by TRL, because TRL tokenizes a dataset as all chat or all text; the
mask column (`assistant_masks`) is what TRL turns into labels. A chat row's assistant turns of
weight 0 (OpenAI's per-message `weight`) are context: their tokens are masked out of the loss.
Tool calls and tool results go through the model's chat template (`tools=` and `tool_calls`), which
must render them; a template that would drop them is refused rather than trained on half a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from datasets import Dataset
from trl.chat_template_utils import has_generation_markers

from tuneloop.data.chat_rows import template_messages
from tuneloop.data.example import Example
from tuneloop.errors import TuneloopError
from tuneloop.spec import Phase
from tuneloop.train.turn_spans import encode_by_prefix

BATCH = 256
COST_SAMPLE = 256  # rows per source whose trained tokens estimate the source's cost per row


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
    trained_tokens: int = 0  # the loss-bearing tokens of the drawn rows, once encoded

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


CostOf = Callable[[list[PhaseRow]], float]  # mean trained tokens per row of a sample


def draw_rows(
    phase: Phase, parts: dict[str, list[Example]], seed: int, cost_of: CostOf | None = None
) -> tuple[list[PhaseRow], list[MixPart]]:
    """The phase's rows and, per source, how many were drawn. `cost_of` measures trained tokens
    per row for `mix_by: tokens`; without it (or by rows) every row costs 1."""
    as_text = {"task": phase.kind == "causal_lm", "inputs": True, "unlabeled": True}
    weights: dict[str, float] = {str(name): w for name, w in (phase.mix or {"task": 1.0}).items()}
    if phase.mix is None and phase.kind == "causal_lm":
        weights["unlabeled"] = 1.0
    sources = {name: _source_rows(name, parts, as_text[name]) for name in weights}
    rng = np.random.default_rng(seed)
    by_tokens = phase.mix is not None and phase.mix_by == "tokens"
    costs = {
        name: _cost(rows, cost_of, rng) if by_tokens and cost_of else 1.0 for name, rows in sources.items()
    }
    wanted = _counts(phase, weights, {name: len(rows) for name, rows in sources.items()}, costs)
    rows: list[PhaseRow] = []
    drawn: list[MixPart] = []
    for name, weight in weights.items():
        available = sources[name]
        picked = _pick(len(available), wanted[name], rng)
        rows.extend(available[i] for i in picked)
        drawn.append(MixPart(name, weight, len(available), len(picked), len(picked) > len(available)))
    return rows, drawn


def _source_rows(name: str, parts: dict[str, list[Example]], as_text: bool) -> list[PhaseRow]:
    """A source's rows. A task example with several references (a generate task's grouped input,
    data/references.py) trains as one chat row per reference, so every human answer is learned;
    read as input text it is one row, so its input does not count once per reference."""
    examples = parts.get(name if name == "unlabeled" else "train", [])
    if name == "task" and not as_text:
        examples = [row for e in examples for row in e.reference_rows()]
    return [PhaseRow(e, as_text) for e in examples]


def _cost(rows: list[PhaseRow], cost_of: CostOf, rng: np.random.Generator) -> float:
    """A source's mean trained tokens per row, from a seeded sample (1 for an empty source)."""
    if not rows:
        return 1.0
    sample = rng.choice(len(rows), min(COST_SAMPLE, len(rows)), replace=False)
    return max(cost_of([rows[i] for i in sorted(sample.tolist())]), 1e-9)


def _counts(
    phase: Phase, weights: dict[str, float], available: dict[str, int], costs: dict[str, float]
) -> dict[str, int]:
    if phase.mix is None:  # every row of every default source
        counts = dict(available)
    else:
        first, *_ = weights
        counts = {
            name: round(available[first] * (w / weights[first]) * (costs[first] / costs[name]))
            for name, w in weights.items()
        }
    total = sum(counts.values())
    if phase.max_rows and total > phase.max_rows:
        counts = {name: n * phase.max_rows // total for name, n in counts.items()}
    return counts


def with_trained_tokens(
    mix: list[MixPart], rows: list[PhaseRow], encoded: list[tuple[list[int], list[int]]]
) -> list[MixPart]:
    """The record of each source with the trained tokens its drawn rows carry (rows are in
    source order, as `draw_rows` returns them)."""
    tokens = [sum(mask) for _, mask in encoded]
    out, start = [], 0
    for part in mix:
        out.append(replace(part, trained_tokens=int(sum(tokens[start : start + part.drawn]))))
        start += part.drawn
    return out


def mean_trained_tokens(tokenizer: Any, template: str | None, max_length: int) -> CostOf:
    """How `draw_rows` prices a sample of rows: their mean loss-bearing tokens, as trained (cut
    at `max_length`)."""

    def cost_of(rows: list[PhaseRow]) -> float:
        masks = [mask[:max_length] for _, mask in encode(tokenizer, rows, template)]
        return float(np.mean([sum(m) for m in masks])) if masks else 1.0

    return cost_of


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
        chats = iter(_encode_chats(tokenizer, [r.example for r in batch if not r.as_text], template))
        texts = [r.example.text + tokenizer.eos_token for r in batch if r.as_text]
        text_it = iter(tokenizer(texts)["input_ids"] if texts else [])
        for row in batch:
            if row.as_text:
                ids = list(next(text_it))
                yield ids, [1] * len(ids)
            else:
                yield next(chats)


def _encode_chats(
    tokenizer: Any, examples: list[Example], template: str | None
) -> list[tuple[list[int], list[int]]]:
    """Chats through the chat template, their turns of weight 0 then masked out. Rows without
    tools go in one call; a row with tools in a call of its own (a call has one `tools=` list)."""
    plain = [i for i, e in enumerate(examples) if not e.tools]
    encoded = dict(
        zip(plain, _apply_template(tokenizer, [examples[i] for i in plain], template), strict=True)
    )
    for i, example in enumerate(examples):
        if example.tools:
            encoded[i] = _apply_template(tokenizer, [example], template, example.tools)[0]
    return [encoded[i] for i in range(len(examples))]


def _apply_template(
    tokenizer: Any, examples: list[Example], template: str | None, tools: list[dict[str, Any]] | None = None
) -> list[tuple[list[int], list[int]]]:
    if not examples:
        return []
    for example in examples:
        _check_renders_tools(template or tokenizer.chat_template or "", example)
    if template is not None and not has_generation_markers(template):
        return encode_by_prefix(tokenizer, examples, template, tools)
    enc = tokenizer.apply_chat_template(
        [template_messages(e.messages) for e in examples],
        tools=tools,
        chat_template=template,
        return_dict=True,
        return_assistant_tokens_mask=True,
    )
    return [
        _weighted(e, list(ids), list(mask))
        for e, ids, mask in zip(examples, enc["input_ids"], enc["assistant_masks"], strict=True)
    ]


def _check_renders_tools(template: str, example: Example) -> None:
    """A template that never reads `tools` or `tool_calls` would drop them from the text silently."""
    missing = [
        what
        for what, key, present in (
            ("declares tools", "tools", bool(example.tools)),
            ("has tool calls", "tool_calls", any("tool_calls" in m for m in example.messages)),
        )
        if present and key not in template
    ]
    if missing:
        raise TuneloopError(
            f"{example.source}: the row {' and '.join(missing)}, but the model's chat template does not "
            "render them; train a model whose chat template supports tool calling"
        )


def _weighted(example: Example, ids: list[int], mask: list[int]) -> tuple[list[int], list[int]]:
    """The mask with each weight-0 assistant turn's span of trained tokens set to 0. The template
    marks one span per assistant turn ({% generation %}), the k-th span being the k-th turn's."""
    weights = [m.get("weight", 1) for m in example.messages if m["role"] == "assistant"]
    if all(weights):
        return ids, mask
    spans = _trained_spans(mask)
    if len(spans) != len(weights):
        raise TuneloopError(
            f"{example.source}: the chat template marks {len(spans)} spans for training but the row has "
            f"{len(weights)} assistant turns, so the turns of weight 0 cannot be found; per-turn weights "
            "need one {% generation %} block per assistant message"
        )
    for (begin, end), weight in zip(spans, weights, strict=True):
        if not weight:
            mask[begin:end] = [0] * (end - begin)
    return ids, mask


def _trained_spans(mask: list[int]) -> list[tuple[int, int]]:
    """(begin, end) of each run of 1s in the mask."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], np.asarray(mask, dtype=np.int8), [0]))))
    return [(int(b), int(e)) for b, e in zip(edges[::2], edges[1::2], strict=True)]


def as_dataset(encoded: list[tuple[list[int], list[int]]]) -> Dataset:
    """The pre-tokenized form TRL trains on as is (it builds labels from `assistant_masks`)."""
    return Dataset.from_dict(
        {"input_ids": [ids for ids, _ in encoded], "assistant_masks": [mask for _, mask in encoded]}
    )
