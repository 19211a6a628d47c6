"""The general set: held-out text on which every phase measures what the model still knows.

Task training makes a model forget what general adaptation taught it. Before the first phase and
after every phase, the model's next-token loss and top-1 token accuracy are measured on the same
held-out text, so forgetting is a number per phase, and a gate can refuse it:
`general.token_accuracy >= previous - 0.02` is "no regression of more than 2 points against the
model the phase started from".

The set is `data.general_rows` of the unlabeled text, held out of training by `prepare`; a project
without unlabeled text falls back on its validation inputs, task text no phase trains on.
"""

from __future__ import annotations

from typing import Any

import torch

from tuneloop.data.example import Example

BATCH = 32


def general_texts(parts: dict[str, list[Example]], rows: int) -> list[str]:
    held_out = parts.get("general") or parts.get("validation", [])
    return [e.text for e in held_out[:rows]]


@torch.no_grad()
def measure_general(model: Any, tokenizer: Any, texts: list[str], max_length: int) -> dict[str, float] | None:
    """Mean next-token loss and top-1 accuracy over every predicted token of `texts`."""
    if not texts:
        return None
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    loss_sum, correct, tokens = 0.0, 0, 0
    for start in range(0, len(texts), BATCH):
        batch = [t + tokenizer.eos_token for t in texts[start : start + BATCH]]
        enc = tokenizer(
            batch,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=max_length,
            padding_side="right",
        ).to(device)
        logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits[:, :-1]
        target = enc["input_ids"][:, 1:]
        counted = enc["attention_mask"][:, 1:].bool()
        losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2).float(), target, reduction="none")
        loss_sum += float(losses[counted].sum())
        correct += int(((logits.argmax(-1) == target) & counted).sum())
        tokens += int(counted.sum())
    model.train(was_training)
    return {
        "loss": loss_sum / tokens,
        "token_accuracy": correct / tokens,
        "rows": len(texts),
        "tokens": tokens,
    }
