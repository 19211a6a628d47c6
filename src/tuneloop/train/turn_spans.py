"""The loss mask of a chat template without `{% generation %}` markers, found by rendering prefixes.

Many templates (SmolLM2's, most community models') mark nothing, and TRL can patch only the few it
knows. For them TRL's supported route is the prompt-completion one: the prompt rendered with the
generation prompt, the full chat rendered after it, and the tokens between the two are the answer.
This does the same for every assistant turn of a row: turn k's trained text runs from the end of
`render(messages[:k], add_generation_prompt=True)` to the end of `render(messages[:k + 1])`, which
is the answer and the template's end-of-turn token. Tokens are matched to that text by their
character offsets in the one tokenization of the whole chat, so training sees exactly the ids that
inference sees. A template that renders a chat's beginning differently from the chat itself
(so no prefix can be trusted) is refused with the row, never trained on a guess.
"""

from __future__ import annotations

from typing import Any

from tuneloop.data.chat_rows import template_messages
from tuneloop.data.example import Example
from tuneloop.errors import TuneloopError


def encode_by_prefix(
    tokenizer: Any, examples: list[Example], template: str, tools: list[dict[str, Any]] | None = None
) -> list[tuple[list[int], list[int]]]:
    """Token ids and loss mask of each chat: 1 on each trained assistant turn (weight not 0)."""
    texts, spans = zip(*(_turn_spans(tokenizer, e, template, tools) for e in examples), strict=True)
    encoded = tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=True)
    out = []
    for ids, offsets, trained in zip(encoded["input_ids"], encoded["offset_mapping"], spans, strict=True):
        mask = [int(any(b <= start < e for b, e in trained)) for start, _ in offsets]
        out.append((list(ids), mask))
    return out


def _turn_spans(
    tokenizer: Any, example: Example, template: str, tools: list[dict[str, Any]] | None
) -> tuple[str, list[tuple[int, int]]]:
    """The chat's text and the (begin, end) characters of each assistant turn that trains."""
    messages = template_messages(example.messages)
    full = _render(tokenizer, messages, template, tools, prompt=False)
    spans = []
    for k, message in enumerate(example.messages):
        if message["role"] != "assistant" or message.get("weight", 1) == 0:
            continue
        before = _render(tokenizer, messages[:k], template, tools, prompt=True)
        through = _render(tokenizer, messages[: k + 1], template, tools, prompt=False)
        if not (through.startswith(before) and full.startswith(through)):
            raise TuneloopError(
                f"{example.source} (id {example.id}): the chat template renders the conversation up to "
                f"assistant turn {k} differently from the whole conversation, so its answer cannot be "
                "located; add {% generation %} markers around each assistant message"
            )
        spans.append((len(before), len(through)))
    return full, spans


def _render(tokenizer: Any, messages: list[dict[str, Any]], template: str, tools: Any, prompt: bool) -> str:
    return str(
        tokenizer.apply_chat_template(
            messages, tools=tools, chat_template=template, tokenize=False, add_generation_prompt=prompt
        )
    )


def end_of_turn_trained(tokenizer: Any, template: str) -> bool:
    """Whether an assistant turn's trained text, rendered by `template`, ends in the end-of-turn
    token after the answer (else the model would never learn to stop)."""
    chat = [{"role": "user", "content": "U"}, {"role": "assistant", "content": "A"}]
    before = _render(tokenizer, chat[:1], template, None, prompt=True)
    through = _render(tokenizer, chat, template, None, prompt=False)
    answer = through[len(before) :] if through.startswith(before) else ""
    end = tokenizer.eos_token or ""
    return bool(end) and answer.startswith("A") and end in answer[1:]
