"""The base model: a user's model (`base:`), or a small one built from scratch (`build: tiny`).

A machine without a GPU or network cannot download weights, so the project can build its own:
a byte-level BPE tokenizer trained with `tokenizers` on the project's training text, and a small
Llama-style model from a config. Both are saved with `save_pretrained` and from then on load
through `AutoTokenizer` / `AutoModelForCausalLM`, exactly like `Qwen/Qwen2.5-0.5B-Instruct`.

Why Llama: with a Qwen2 config `AutoTokenizer` rebuilds the pre-tokenizer on reload and about 10%
of examples tokenize differently; a Llama config keeps the trained tokenizer as saved.

For classify tasks the label names are added to the vocabulary as whole tokens, so the tiny
model's answer is one decision instead of a spelling exercise; a user's model keeps its own
tokenizer untouched.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import orjson
import torch
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
)

from tuneloop.data.example import Example
from tuneloop.data.prepare import read_and_split
from tuneloop.data.tokenizer import END, PAD, build_fingerprint, tiny_build, train_bpe
from tuneloop.run_dir import built_model_dir
from tuneloop.spec import ProjectSpec, TinyModel

BUILD_INFO = "tuneloop_build.json"

# Assistant turns sit inside {% generation %} so TRL's assistant-only loss trains the answer and
# its end-of-turn token, and nothing else. Whitespace is written as literals, never by Jinja's
# trimming, so training and inference prompts are byte-identical. Tool calls: the declared tools
# come first as JSON (`<|tools|>`), each call is a `{"name", "arguments"}` JSON line in the
# assistant turn (`Example.answer` writes the same text), a tool result is a `<|tool|>` turn; a
# chat without tools renders exactly as before they existed.
CHAT_TEMPLATE = (
    "{% if tools %}{{ '<|tools|>\\n' + (tools | tojson) + '<|end|>\\n' }}{% endif %}"
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|assistant|>\\n' }}{% generation %}{{ message['content'] }}"
    "{% for call in message['tool_calls'] or [] %}"
    "{{ ('\\n' if message['content'] or not loop.first else '')"
    " + ({'name': call['function']['name'], 'arguments': call['function']['arguments']} | tojson) }}"
    "{% endfor %}"
    "{{ '<|end|>' }}{% endgeneration %}"
    "{{ '\\n' }}"
    "{% else %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


def build_tiny_model(
    sizes: TinyModel, texts: list[str], out_dir: Path, labels: list[str] | None = None, seed: int = 0
) -> Path:
    """Train a tokenizer on `texts`, initialise a Llama model from `sizes`, save both to `out_dir`."""
    tokenizer = train_tokenizer(texts, sizes.vocab_size, labels or [])
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=sizes.hidden_size,
        intermediate_size=sizes.intermediate_size or 2 * sizes.hidden_size,
        num_hidden_layers=sizes.layers,
        num_attention_heads=sizes.heads,
        num_key_value_heads=sizes.heads,
        max_position_embeddings=sizes.context_length,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out_dir)
    model.save_pretrained(out_dir)
    info = {
        "sizes": sizes.model_dump(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "seed": seed,
        "fingerprint": build_fingerprint(sizes, texts, labels or [], seed),
    }
    (out_dir / BUILD_INFO).write_bytes(orjson.dumps(info, option=orjson.OPT_INDENT_2))
    return out_dir


def train_tokenizer(texts: Iterable[str], vocab_size: int, labels: list[str]) -> PreTrainedTokenizerFast:
    """The tiny model's tokenizer: `data/tokenizer.py: train_bpe` (what `check` counts with) and
    the chat template."""
    return PreTrainedTokenizerFast(
        tokenizer_object=train_bpe(texts, vocab_size, labels),
        pad_token=PAD,
        eos_token=END,
        chat_template=CHAT_TEMPLATE,
        model_max_length=4096,
    )


def user_base_model(spec: ProjectSpec) -> str:
    """`base:` as a local directory (relative to the project) or, failing that, a hub id."""
    assert spec.model.base is not None
    local = spec.root / spec.model.base
    return str(local) if local.exists() else spec.model.base


def ensure_base_model(
    spec: ProjectSpec, parts: dict[str, list[Example]] | None = None, force: bool = False
) -> tuple[str, bool]:
    """The base model's path or hub id, and whether it was built by this call.

    A `build: tiny` model lives under its fingerprint (sizes, corpus, labels, seed): a changed label
    set never meets a stale tokenizer, and an earlier run's base model is never overwritten.
    """
    if spec.model.build != "tiny":
        return user_base_model(spec), False
    if parts is None:
        parts = read_and_split(spec)[1]
    corpus, labels, fingerprint = tiny_build(spec, parts)
    out_dir = built_model_dir(spec.output_path, fingerprint)
    if (out_dir / BUILD_INFO).is_file() and not force:
        return str(out_dir), False
    if out_dir.exists():
        shutil.rmtree(out_dir)
    build_tiny_model(spec.model.tiny, corpus, out_dir, labels, spec.seed)
    return str(out_dir), True
