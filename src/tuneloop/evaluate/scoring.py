"""Score every label of a classify task by its log-likelihood, instead of generating an answer.

Why: generating once per example and parsing the text is slow (a decode loop per token) and hides
an extraction rule; scoring the labels is one prompt pass plus one short pass over the label
answers, and it gives a probability for every label, which later steps use for confidence,
label-error detection and suggestions.

How, per batch of examples:
1. One forward pass over the prompts (chat template with the generation prompt, left padding,
   explicit position ids so padding does not shift positions). Its last logits already give the
   log-probability of every label's first answer token.
2. The remaining answer tokens of all labels are scored against the prompt's key/value cache in
   one more pass: side by side in one row per example, kept apart by a 4-D attention mask
   (chunked over labels to bound memory).

A label's answer is what the model was trained to write: the label and the end-of-answer token
of the chat template (`<|end|>`, `<|im_end|>`, ...), so "card" cannot beat "card_arrival" by being
its prefix. The total log-probability of each answer, softmaxed over the label set, gives the
probabilities; the argmax is the prediction.
"""

from __future__ import annotations

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

    The answers of a chunk of labels go side by side into one row per example (label-major, each
    padded to the longest answer), after the cached prompt. A 4-D attention mask lets each answer
    token see the prompt's real tokens and its own answer's earlier tokens, nothing else, and the
    position ids restart at the prompt's end for every answer: so each answer is scored as if it
    were alone, without copying the cache once per label. The chunk's entries are cropped from the
    cache afterwards. Padding past a label's length is masked out of the sum."""
    examples = mask.shape[0]
    n_labels, width = ids.shape
    step = width - 1  # answer tokens fed per label: all but the last
    inputs, targets = ids[:, :-1], ids[:, 1:]
    counted = (torch.arange(step, device=ids.device) < (lengths - 1)[:, None]).float()
    per_pass = max(1, LOGIT_BUDGET // (examples * step * vocab))
    dtype = next(model.parameters()).dtype
    parts = []
    for start in range(0, n_labels, per_pass):
        chunk = slice(start, min(start + per_pass, n_labels))
        k = chunk.stop - chunk.start
        logits = model(
            input_ids=inputs[chunk].reshape(1, -1).expand(examples, -1),
            attention_mask=_answers_mask(mask, k, step, dtype),
            position_ids=positions[:, -1:] + 1 + torch.arange(step, device=ids.device).repeat(k),
            cache=cache,
            use_cache=True,
        ).logits
        cache.crop(-k * step)
        logits = logits.float()  # log p(target) = logit(target) - logsumexp(logits): no full log_softmax copy
        wanted = targets[chunk].reshape(1, -1, 1).expand(examples, -1, 1)
        picked = logits.gather(-1, wanted)[..., 0] - logits.logsumexp(-1)
        parts.append((picked.view(examples, k, step) * counted[chunk]).sum(-1))
    return torch.cat(parts, 1)


def _answers_mask(prompt_mask: torch.Tensor, k: int, step: int, dtype: torch.dtype) -> torch.Tensor:
    """Additive (0 / -inf-like) mask of shape (examples, 1, k*step, prompt + k*step): every answer
    token sees the prompt's real tokens and the tokens of its own answer up to itself."""
    device = prompt_mask.device
    label = torch.arange(k * step, device=device) // step
    own = (label[:, None] == label[None, :]) & torch.ones(
        k * step, k * step, dtype=torch.bool, device=device
    ).tril()
    seen = torch.cat(
        [prompt_mask.bool()[:, None, :].expand(-1, k * step, -1), own.expand(prompt_mask.shape[0], -1, -1)],
        -1,
    )
    blocked = torch.zeros(seen.shape, dtype=dtype, device=device).masked_fill(~seen, torch.finfo(dtype).min)
    return blocked[:, None]
