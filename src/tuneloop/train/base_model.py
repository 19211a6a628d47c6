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

import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

import orjson
import torch
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
)

from tuneloop.data.example import Example
from tuneloop.data.prepare import read_and_split
from tuneloop.run_dir import built_model_dir
from tuneloop.spec import ProjectSpec, TinyModel

PAD, END = "<|pad|>", "<|end|>"
ROLE_TOKENS = ["<|system|>", "<|user|>", "<|assistant|>"]
BUILD_INFO = "tuneloop_build.json"

# Assistant turns sit inside {% generation %} so TRL's assistant-only loss trains the answer and
# its end-of-turn token, and nothing else. Whitespace is written as literals, never by Jinja's
# trimming, so training and inference prompts are byte-identical.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|assistant|>\\n' }}{% generation %}{{ message['content'] + '<|end|>' }}{% endgeneration %}"
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


def build_fingerprint(sizes: TinyModel, texts: list[str], labels: list[str], seed: int) -> str:
    """Everything the built model depends on; a different fingerprint means a rebuild."""
    digest = hashlib.sha256(orjson.dumps([sizes.model_dump(), labels, seed]))
    for text in texts:
        digest.update(text.encode("utf-8", errors="surrogatepass") + b"\0")
    return digest.hexdigest()[:16]


def train_tokenizer(texts: Iterable[str], vocab_size: int, labels: list[str]) -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, END, *ROLE_TOKENS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=PAD,
        eos_token=END,
        chat_template=CHAT_TEMPLATE,
        model_max_length=4096,
    )
    if labels:  # whole words only: a label "rd" must not split "card"
        fast.add_tokens([AddedToken(label, single_word=True, normalized=False) for label in labels])
    return fast


def user_base_model(spec: ProjectSpec) -> str:
    """`base:` as a local directory (relative to the project) or, failing that, a hub id."""
    assert spec.model.base is not None
    local = spec.root / spec.model.base
    return str(local) if local.exists() else spec.model.base


def base_model_corpus(spec: ProjectSpec, parts: dict[str, list[Example]]) -> list[str]:
    """The text the tiny tokenizer learns from: the prompt, the training inputs, the unlabeled text."""
    return [
        spec.prompt.system or "",
        *(e.text for e in parts["train"]),
        *(e.text for e in parts["unlabeled"]),
    ]


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
    corpus = base_model_corpus(spec, parts)
    labels = spec.label_names if spec.objective.task == "classify" else []
    fingerprint = build_fingerprint(spec.model.tiny, corpus, labels, spec.seed)
    out_dir = built_model_dir(spec.output_path, fingerprint)
    if (out_dir / BUILD_INFO).is_file() and not force:
        return str(out_dir), False
    if out_dir.exists():
        shutil.rmtree(out_dir)
    build_tiny_model(spec.model.tiny, corpus, out_dir, labels, spec.seed)
    return str(out_dir), True
