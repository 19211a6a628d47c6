"""Decoding that cannot break the schema: each next token is one that keeps the answer a prefix of
a JSON record of the field schema.

lm-format-enforcer (MIT) walks the JSON Schema (`extract/schema.py: json_schema`) character by
character and, given the tokens so far, names the tokens that may follow; `generate` takes that
as `prefix_allowed_tokens_fn`, so greedy decoding picks the likeliest allowed token. Its own
transformers adapter imports modules transformers 5 no longer has, so the few lines it needs
(every regular token's text, and whether it starts a word) are here. Keys are forced into
schema order (the canonical answer's), no whitespace is allowed between JSON tokens, and the two
leaks the tests found are closed here: a comma may not close an object or array, and a string may
not hold a raw control character.

What it cannot do: finish inside the token budget (an answer still open at `max_new_tokens`
stays invalid and is counted so; `evaluation.max_new_tokens` must leave room), keep a number
finite (a model can write an exponent past a double's range), or know the calendar (the date
pattern allows the 31st of February); `answer_check` still reads every output and counts these.

Nor can it follow a character the tokenizer spells only in byte pieces (each decoded alone as
U+FFFD: many emoji, rare letters and CJK characters of an English vocabulary): it reads an
unfinished character as nothing, and pieces that do not make a character made it lose its place
and allow the end token inside an open string. The pieces are left out of the vocabulary, so such
a character cannot be written under the constraint (characters the vocabulary holds whole, as
byte-level BPE holds é or £, can); a value holding one is then missed, and counted so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch
from lmformatenforcer import (
    CharacterLevelParserConfig,
    JsonSchemaParser,
    TokenEnforcer,
    TokenEnforcerTokenizerData,
)

from tuneloop.extract.schema import json_schema
from tuneloop.spec.fields import FieldSpec

AllowedTokens = Callable[[int, torch.Tensor], list[int]]


@dataclass(frozen=True)
class _Vocabulary:
    """A tokenizer as the enforcer reads it, built once per tokenizer (every split, comparison and
    monitored step of a run shares it): the enforcer's token data, each token's text, and the
    tokens that begin by closing an object or array."""

    data: TokenEnforcerTokenizerData
    text: dict[int, str]
    closing: frozenset[int]


def schema_constraint(tokenizer: Any, fields: list[FieldSpec]) -> AllowedTokens:
    """The `prefix_allowed_tokens_fn` that keeps every generated answer inside the schema."""
    vocabulary = _vocabulary(tokenizer)
    enforcer = TokenEnforcer(vocabulary.data, JsonSchemaParser(json_schema(fields)))
    # TokenEnforcer replaces the parser's settings with the tokenizer's alphabet alone; set ours after.
    enforcer.root_parser.config = CharacterLevelParserConfig(
        alphabet=vocabulary.data.tokenizer_alphabet,
        max_consecutive_whitespaces=0,
        force_json_field_order=True,
    )

    def allowed(batch_id: int, sequence: torch.Tensor) -> list[int]:
        tokens = sequence.tolist()
        choices = enforcer.get_allowed_tokens(tokens).allowed_tokens
        if not vocabulary.text.get(tokens[-1], "").endswith(","):
            return list(choices)
        return [t for t in choices if t not in vocabulary.closing]  # '{"a":1,}' gets past the enforcer

    return allowed


@lru_cache(maxsize=4)
def _vocabulary(tokenizer: Any) -> _Vocabulary:
    """Every regular token with its text as it reads after another token (so a word-start token
    keeps its space) and whether it starts a word, as lm-format-enforcer's adapter builds them;
    left out are the tokens no answer may hold: a raw control character (whitespace between JSON
    tokens is barred, and JSON strings escape them) or a comma closing an object or array."""
    zero = tokenizer.encode("0", add_special_tokens=False)[-1]
    special = set(tokenizer.all_special_ids)
    regular = []
    for token in range(len(tokenizer)):
        if token in special:
            continue
        after = tokenizer.decode([zero, token])[1:]
        if not (",}" in after or ",]" in after or "\ufffd" in after or any(ord(ch) < 0x20 for ch in after)):
            regular.append((token, after, len(after) > len(tokenizer.decode([token]))))

    def decode(tokens: list[int]) -> str:
        return str(tokenizer.decode(tokens)).rstrip("\ufffd")

    data = TokenEnforcerTokenizerData(regular, decode, tokenizer.eos_token_id, False, len(tokenizer))
    text = {token: piece for token, piece, _ in regular}
    return _Vocabulary(data, text, frozenset(t for t, piece in text.items() if piece[:1] in "}]"))
