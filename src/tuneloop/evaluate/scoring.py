"""Score every label of a classify task by its log-likelihood, instead of generating an answer.

Why: generating once per example and parsing the text is slow (a decode loop per token) and hides
an extraction rule; scoring the labels is one prompt pass plus one short pass over the label
answers, and it gives a probability for every label, which later steps use for confidence,
label-error detection and suggestions.

How, per batch of examples:
1. One forward pass over the prompts (chat template with the generation prompt, left padding,
   explicit position ids so padding does not shift positions). Its last logits already give the
   log-probability of every label's first answer token.
2. The remaining answer tokens of all labels are scored against the prompt's key/value cache:
   the tree of their prefixes (answer_tree.py) is fed once per example, so a prefix that labels
   share is fed once, and a 4-D attention mask keeps each node to the prompt and its ancestors
   (chunked over nodes to bound memory). `score_answers` does the same for candidate answers
   that differ per prompt (a multilabel task's label sets).

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
from tuneloop.evaluate.answer_tree import AnswerTree, TreeBatch, answer_tree, tree_batch

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
    total = score_answers(model, tokenizer, prompts, [answers.token_ids] * len(prompts))
    probabilities = total.softmax(-1).tolist()
    return [
        LabelScores(dict(zip(answers.labels, row, strict=True)), dict(zip(answers.labels, p, strict=True)))
        for row, p in zip(total.tolist(), probabilities, strict=True)
    ]


def score_answers(
    model: torch.nn.Module,
    tokenizer: Any,
    prompts: list[list[dict[str, str]]],
    answers: list[list[list[int]]],
) -> torch.Tensor:
    """The total log-probability of each prompt's candidate answers (token ids each), shape
    (prompts, most answers); a prompt with fewer answers gets -inf in the missing places. The
    tokenizer must pad on the left."""
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
    width = max(len(candidates) for candidates in answers)
    first_ids = torch.tensor([[ids[0] for ids in c] + [0] * (width - len(c)) for c in answers], device=device)
    missing = (
        torch.arange(width, device=device)[None, :]
        >= torch.tensor([len(c) for c in answers], device=device)[:, None]
    )
    total = first.gather(-1, first_ids)
    trees: dict[int, AnswerTree] = {}  # a classify batch shares one answer list: one tree
    for candidates in answers:
        if id(candidates) not in trees:
            trees[id(candidates)] = answer_tree(candidates)
    if any(tree.tokens for tree in trees.values()):
        batch = tree_batch([trees[id(c)] for c in answers], tokenizer.pad_token_id, device)
        total = total + _rest_logprobs(model, out.cache, mask, positions[:, -1:] + 1, batch, first.shape[-1])
    return total.masked_fill(missing, float("-inf"))


def _rest_logprobs(
    model: torch.nn.Module, cache: Any, mask: torch.Tensor, start: torch.Tensor, batch: TreeBatch, vocab: int
) -> torch.Tensor:
    """Log-probability of every answer's tokens after the first, from the prompt's cache.

    The answer tree's nodes (see answer_tree.py) are fed in chunks of at most LOGIT_BUDGET logits,
    ancestors before descendants, each chunk appended to the cache: a 4-D attention mask lets a
    node see the prompt's real tokens and its own ancestors, nothing else, and its position is the
    prompt's end plus its depth, so each answer is scored as if it were alone after the prompt.
    Each answer step takes its token's log-probability from the node that predicts it."""
    examples, nodes = batch.tokens.shape
    per_pass = max(1, LOGIT_BUDGET // (examples * vocab))
    dtype = next(model.parameters()).dtype
    rows = torch.arange(examples, device=mask.device)[:, None, None]
    total = torch.zeros(batch.node.shape[:2], device=mask.device)
    for a in range(0, nodes, per_pass):
        b = min(a + per_pass, nodes)
        seen = torch.cat([mask.bool()[:, None, :].expand(-1, b - a, -1), batch.seen[:, a:b, :b]], -1)
        blocked = torch.zeros(seen.shape, dtype=dtype, device=mask.device).masked_fill(
            ~seen, torch.finfo(dtype).min
        )
        logits = model(
            input_ids=batch.tokens[:, a:b],
            attention_mask=blocked[:, None],
            position_ids=start + batch.depths[:, a:b],
            cache=cache,
            use_cache=True,
        ).logits.float()  # log p(token) = logit(token) - logsumexp(logits): no full log_softmax copy
        here = batch.counted & (batch.node >= a) & (batch.node < b)
        local = (batch.node - a).clamp(0, b - a - 1)
        picked = logits[rows, local, batch.target] - logits.logsumexp(-1)[rows, local]
        total = total + (picked * here).sum(-1)
    return total
