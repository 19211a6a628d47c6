"""A chat template's default system prompt: found by rendering, removed from the template source.

Many templates (SmolLM2's, Qwen2.5's) insert a system prompt of their own when a chat has none
("You are a helpful AI assistant named SmolLM, ..."). Fine-tuning then pays for those tokens on
every row, and the model learns the task under a persona the spec never asked for. tuneloop's rows
carry the spec's `prompt.system` when it has one (the template's default is then never rendered);
when it has none, the default must go from the template itself, so training, evaluation and serving
all render the same, shorter prompt.

Finding it: a chat with a user turn alone is rendered, and the same chat with a system turn whose
content is a marker; the text the marker takes the place of is the default. Removing it: the
template block that writes it (an `{% if %}` or `{% else %}` branch with one string) is cut, and
the result is kept only when rendering proves the default gone and every other chat unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_USER = "\x00user\x00"
_SYSTEM = "\x00system\x00"
_STRING = r"\{\{-?\s*(?:'[^']*'|\"[^\"]*\")\s*-?\}\}"
_BRANCHES = (  # the block that writes the default, and what it is replaced by
    re.compile(r"\{%-?\s*if\b[^%]*%\}\s*" + _STRING + r"\s*\{%-?\s*endif\s*-?%\}"),
    re.compile(r"\{%-?\s*else\s*-?%\}\s*" + _STRING + r"\s*(\{%-?\s*endif\s*-?%\})"),
)


@dataclass(frozen=True)
class DefaultSystem:
    """What a template inserts when a chat has no system turn, and whether it could be removed."""

    text: str
    template: str  # the template without it, or unchanged when it could not be removed
    removed: bool


def default_system_prompt(tokenizer: Any, template: str | None = None) -> str:
    """The system text `template` (the tokenizer's own by default) writes into a chat without a
    system turn; empty when it writes none."""
    alone = _render(tokenizer, [{"role": "user", "content": _USER}], template)
    framed = _render(
        tokenizer, [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": _USER}], template
    )
    before, _, after = framed.partition(_USER)[0].partition(_SYSTEM)
    head = alone.partition(_USER)[0]
    if head.startswith(before) and head.endswith(after) and len(head) >= len(before) + len(after):
        return head[len(before) : len(head) - len(after)]
    return head if _SYSTEM not in framed else ""


def without_default_system(tokenizer: Any) -> DefaultSystem | None:
    """The tokenizer's template with its default system prompt cut out, or None when it has none."""
    template = tokenizer.chat_template
    text = default_system_prompt(tokenizer) if template else ""
    if not text:
        return None
    for branch in _BRANCHES:
        for match in branch.finditer(template):
            keep = match.group(1) if match.groups() else ""
            candidate = template[: match.start()] + (keep or "") + template[match.end() :]
            if _proven(tokenizer, template, candidate):
                return DefaultSystem(text, candidate, removed=True)
    return DefaultSystem(text, template, removed=False)


def _proven(tokenizer: Any, old: str, new: str) -> bool:
    """`new` writes no default system prompt and renders every chat with a system turn as `old`."""
    try:
        if default_system_prompt(tokenizer, new):
            return False
        for chat in _PROBES:
            for prompt in (False, True):
                if _render(tokenizer, chat, new, prompt) != _render(tokenizer, chat, old, prompt):
                    return False
    except Exception:  # a cut that breaks the template's syntax is simply not a candidate
        return False
    return True


_PROBES = [
    [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
    [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "U"},
        {"role": "assistant", "content": "A"},
    ],
]


def _render(
    tokenizer: Any, messages: list[dict[str, str]], template: str | None, prompt: bool = False
) -> str:
    return str(
        tokenizer.apply_chat_template(
            messages, chat_template=template, tokenize=False, add_generation_prompt=prompt
        )
    )
