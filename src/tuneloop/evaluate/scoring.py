"""Score every label of a classify task by its log-likelihood, instead of generating an answer.

Why: generating once per example and parsing the text is slow (a decode loop per token) and hides
an extraction rule; scoring the labels is one prompt pass plus one short pass over the label
answers, and it gives a probability for every label, which later steps use for confidence,
label-error detection and suggestions.

How, per batch of examples:
1. One forward pass over the prompts (chat template with the generation prompt, left padding,
   explicit position ids so padding does not shift positions). Its last logits already give the
   log-probability of every label's first answer token.
2. The prompt's key/value cache is repeated once per label, and the remaining answer tokens of
   all labels are scored against it in one batched pass (chunked to bound memory).

A label's answer is what the model was trained to write: the label and the end-of-answer token
of the chat template (`<|end|>`, `<|im_end|>`, ...), so "card" cannot beat "card_arrival" by being
its prefix. The total log-probability of each answer, softmaxed over the label set, gives the
probabilities; the argmax is the prediction.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch

from tuneloop.errors import TuneloopError

RULE = (
    "log-likelihood: the label whose answer (the label and the end-of-answer token) is most likely "
    "after the prompt; probabilities are the softmax of the answers' log-likelihoods over the labels"
)
LOGIT_BUDGET = 2**26  # logits held at once in the answer pass (256 MiB in float32)


@dataclass(frozen=True)
class LabelAnswers:
    """The token ids a model writes for each label as its whole answer."""

    labels: list[str]
    token_ids: list[list[int]]


@dataclass(frozen=True)
class LabelScores:
    logprobs: dict[str, float]  # total log-probability of each label's answer
    probabilities: dict[str, float]  # softmax of `logprobs` over the label set

    @property
    def best(self) -> str:
        return max(self.logprobs, key=lambda label: self.logprobs[label])


def label_answers(tokenizer: Any, labels: list[str], prompt_messages: list[dict[str, str]]) -> LabelAnswers:
    """Each label's answer tokens, read off the chat template: the text a conversation with the
    label as assistant turn adds after the generation prompt, up to its end-of-answer token."""
    prompt = tokenizer.apply_chat_template(prompt_messages, add_generation_prompt=True, tokenize=False)
    end = tokenizer.eos_token
    token_ids = []
    for label in labels:
        full = tokenizer.apply_chat_template(
            [*prompt_messages, {"role": "assistant", "content": label}], tokenize=False
        )
        answer = full[len(prompt) :]
        at = answer.find(label)
        if not full.startswith(prompt) or at < 0:
            raise TuneloopError(
                f"label {label!r}: the model's chat template does not write an answer as the generation "
                "prompt followed by the label, so labels cannot be scored by log-likelihood; "
                "set evaluation.scoring: generate"
            )
        cut = answer.find(end, at + len(label)) if end else -1
        answer = answer[: cut + len(end)] if cut >= 0 else answer.rstrip()
        token_ids.append(tokenizer(answer, add_special_tokens=False)["input_ids"])
    return LabelAnswers(labels, token_ids)


def score_batch(
    model: torch.nn.Module, tokenizer: Any, prompts: list[list[dict[str, str]]], answers: LabelAnswers
) -> list[LabelScores]:
    """Score every label for each prompt; the tokenizer must pad on the left."""
    device = next(model.parameters()).device
    encoded = tokenizer.apply_chat_template(
        prompts, add_generation_prompt=True, padding=True, return_tensors="pt", return_dict=True
    ).to(device)
    mask = encoded["attention_mask"]
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    out = model(
        input_ids=encoded["input_ids"],
        attention_mask=mask,
        position_ids=positions,
        use_cache=True,
        logits_to_keep=1,
    )
    first = out.logits[:, -1, :].float().log_softmax(-1)
    ids, lengths = _padded(answers.token_ids, tokenizer.pad_token_id, device)
    total = first[:, ids[:, 0]]  # (examples, labels)
    if ids.shape[1] > 1:
        total = total + _rest_logprobs(model, out.cache, mask, positions, ids, lengths, first.shape[-1])
    probabilities = total.softmax(-1).tolist()
    return [
        LabelScores(dict(zip(answers.labels, row, strict=True)), dict(zip(answers.labels, p, strict=True)))
        for row, p in zip(total.tolist(), probabilities, strict=True)
    ]


def _padded(token_ids: list[list[int]], pad: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids in token_ids)
    rows = [ids + [pad] * (width - len(ids)) for ids in token_ids]
    lengths = [len(ids) for ids in token_ids]
    return torch.tensor(rows, device=device), torch.tensor(lengths, device=device)


def _rest_logprobs(
    model: torch.nn.Module,
    cache: Any,
    mask: torch.Tensor,
    positions: torch.Tensor,
    ids: torch.Tensor,
    lengths: torch.Tensor,
    vocab: int,
) -> torch.Tensor:
    """Log-probability of every label's answer tokens after the first, from the prompt's cache.

    Rows are example-major (example i, label j at i * labels + j), the order in which
    `batch_repeat_interleave` copies the cache. Answer tokens past a label's length are padding:
    causal attention keeps them from touching the real ones, and they are masked out of the sum."""
    examples, (n_labels, width) = mask.shape[0], ids.shape
    inputs, targets = ids[:, :-1], ids[:, 1:]
    counted = torch.arange(width - 1, device=ids.device) < (lengths - 1)[:, None]
    per_pass = max(1, LOGIT_BUDGET // (examples * (width - 1) * vocab))
    steps = torch.arange(1, width, device=ids.device)
    parts = []
    for start in range(0, n_labels, per_pass):
        chunk = slice(start, min(start + per_pass, n_labels))
        k = chunk.stop - chunk.start
        repeated = copy.deepcopy(cache)
        repeated.batch_repeat_interleave(k)
        logits = model(
            input_ids=inputs[chunk].repeat(examples, 1),
            attention_mask=torch.cat(
                [mask.repeat_interleave(k, 0), torch.ones_like(inputs[chunk]).repeat(examples, 1)], 1
            ),
            position_ids=positions[:, -1:].repeat_interleave(k, 0) + steps,
            cache=repeated,
            use_cache=True,
        ).logits
        picked = (
            logits.float().log_softmax(-1).gather(-1, targets[chunk].repeat(examples, 1)[..., None])[..., 0]
        )
        parts.append((picked * counted[chunk].repeat(examples, 1)).sum(-1).view(examples, k))
    return torch.cat(parts, 1)
