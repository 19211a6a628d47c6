"""Candidate answers as a tree of token prefixes, so a prefix that several answers share is fed to
the model once.

Why: scoring answers by log-likelihood feeds every answer's tokens after the prompt. Answers share
prefixes (banking77's labels under SmolLM2's tokenizer: `card_…`, `transfer_…`, the end-of-turn
token after each), and fed one by one, padded to the longest, they cost 77 x 17 = 1,309 fed tokens
per prompt where the tree of their prefixes has 382 nodes that lead somewhere. A multilabel task's
candidate sets ("a, b, c" and "a, c") share even more.

A node is a prefix that some answer continues; it is fed as its last token, at the position of its
depth after the prompt, seeing the prompt and its own ancestors only (the 4-D mask that
`seen` gives). Nodes are numbered so that ancestors come first, which lets the scorer feed them in
memory-bounded chunks against a growing cache. Each answer's tokens after its first are read off
as (node, next token) steps: the node's output gives the next token's log-probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class AnswerTree:
    tokens: list[int]  # the token each node feeds (the last of its prefix)
    depths: list[int]  # 0: the answer's first token
    parents: list[int]  # the parent node, -1 for a first token (its parent is the prompt)
    steps: list[list[tuple[int, int]]]  # per answer, for each token after the first: (node, token)


def answer_tree(answers: Sequence[Sequence[int]]) -> AnswerTree:
    """The tree of the answers' prefixes that have a continuation; every answer needs a token."""
    index: dict[tuple[int, ...], int] = {}
    tokens: list[int] = []
    depths: list[int] = []
    parents: list[int] = []
    steps = []
    for answer in answers:
        if not answer:
            raise ValueError("an answer to score holds no token")
        path = []
        for depth in range(len(answer) - 1):
            prefix = tuple(answer[: depth + 1])
            if prefix not in index:
                index[prefix] = len(tokens)
                tokens.append(prefix[-1])
                depths.append(depth)
                parents.append(index[prefix[:-1]] if depth else -1)
            path.append((index[prefix], answer[depth + 1]))
        steps.append(path)
    return AnswerTree(tokens, depths, parents, steps)


@dataclass(frozen=True)
class TreeBatch:
    """The trees of a batch of prompts as tensors, padded to the largest tree and answer set."""

    tokens: torch.Tensor  # (examples, nodes) fed token ids
    depths: torch.Tensor  # (examples, nodes)
    seen: torch.Tensor  # (examples, nodes, nodes) bool: node i sees node j (an ancestor, or itself)
    node: torch.Tensor  # (examples, answers, steps) the node whose output predicts the step's token
    target: torch.Tensor  # (examples, answers, steps) that token
    counted: torch.Tensor  # (examples, answers, steps) bool: a real step, not padding


def tree_batch(trees: Sequence[AnswerTree], pad: int, device: torch.device) -> TreeBatch:
    """Stack the trees; a padding node sees only itself, so its attention row is never empty. A
    tree given for several prompts (a classify batch shares one) is laid out once."""
    nodes = max(len(tree.tokens) for tree in trees)
    answers = max(len(tree.steps) for tree in trees)
    width = max((len(path) for tree in trees for path in tree.steps), default=0)
    laid_out: dict[int, tuple[torch.Tensor, ...]] = {}
    for tree in trees:
        if id(tree) not in laid_out:
            laid_out[id(tree)] = _laid_out(tree, nodes, answers, width, pad)
    rows = [laid_out[id(tree)] for tree in trees]
    return TreeBatch(*(torch.stack(parts).to(device) for parts in zip(*rows, strict=True)))


def _laid_out(tree: AnswerTree, nodes: int, answers: int, width: int, pad: int) -> tuple[torch.Tensor, ...]:
    """One tree's tensors, padded to `nodes` nodes and `answers` x `width` steps."""
    n = len(tree.tokens)
    tokens = torch.full((nodes,), pad, dtype=torch.long)
    depths = torch.zeros(nodes, dtype=torch.long)
    tokens[:n] = torch.tensor(tree.tokens, dtype=torch.long)
    depths[:n] = torch.tensor(tree.depths, dtype=torch.long)
    seen = torch.eye(nodes, dtype=torch.bool)
    for i, parent in enumerate(tree.parents):
        if parent >= 0:
            seen[i] |= seen[parent]  # ancestors come first, so the parent's row is whole
    node = torch.zeros((answers, width), dtype=torch.long)
    target = torch.zeros((answers, width), dtype=torch.long)
    counted = torch.zeros((answers, width), dtype=torch.bool)
    for a, path in enumerate(tree.steps):
        if path:
            node[a, : len(path)] = torch.tensor([i for i, _ in path])
            target[a, : len(path)] = torch.tensor([t for _, t in path])
            counted[a, : len(path)] = True
    return tokens, depths, seen, node, target, counted
