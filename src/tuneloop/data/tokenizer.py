"""The tokenizer a run will use, found or trained before any model exists.

The length check (`checks/length.py`) must count tokens the way training will, or `check` passes
rows that a run then refuses. With `build: tiny` that tokenizer is the byte-level BPE the build
trains on the project's text (`train_bpe`; `train/base_model.py` wraps it with the chat template),
kept under the fingerprint its model is built with; training it takes a second, the model is not
needed. With `base:` it is the base model's own `tokenizer.json`. The data checks sit below the
train stage, so what both need lives here.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

import orjson

from tuneloop.data.example import Example
from tuneloop.run_dir import TOKENIZERS_DIR, built_model_dir
from tuneloop.spec import LABELLED_TASKS, ProjectSpec, TinyModel

if TYPE_CHECKING:
    from tokenizers import Tokenizer

PAD, END = "<|pad|>", "<|end|>"
ROLE_TOKENS = ["<|system|>", "<|user|>", "<|assistant|>"]
TOKENIZER_FILE = "tokenizer.json"


def base_model_corpus(spec: ProjectSpec, parts: dict[str, list[Example]]) -> list[str]:
    """The text the tiny tokenizer learns from: the prompt, the training inputs, a generate task's
    references (the prose the model must write), an extract task's answers (the JSON records),
    the unlabeled text."""
    extract = spec.objective.task == "extract"
    return [
        spec.system_prompt or "",
        *(e.text for e in parts["train"]),
        *(ref for e in parts["train"] for ref in e.references or ()),
        *(e.answer for e in parts["train"] if extract),
        *(e.text for e in parts["unlabeled"]),
    ]


def build_fingerprint(sizes: TinyModel, texts: list[str], labels: list[str], seed: int) -> str:
    """Everything the built model depends on; a different fingerprint means a rebuild."""
    digest = hashlib.sha256(orjson.dumps([sizes.model_dump(), labels, seed]))
    for text in texts:
        digest.update(text.encode("utf-8", errors="surrogatepass") + b"\0")
    return digest.hexdigest()[:16]


def tiny_build(spec: ProjectSpec, parts: dict[str, list[Example]]) -> tuple[list[str], list[str], str]:
    """What a `build: tiny` base model is built from: its corpus, its label tokens, its fingerprint."""
    corpus = base_model_corpus(spec, parts)
    labels = spec.label_names if spec.objective.task in LABELLED_TASKS else []
    return corpus, labels, build_fingerprint(spec.model.tiny, corpus, labels, spec.seed)


def train_bpe(texts: Iterable[str], vocab_size: int, labels: list[str]) -> Tokenizer:
    """A byte-level BPE `tokenizers.Tokenizer` with the special tokens, the label names whole words."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

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
    if labels:  # whole words only: a label "rd" must not split "card"
        tokenizer.add_tokens([AddedToken(label, single_word=True, normalized=False) for label in labels])
    return tokenizer


def project_tokenizer(spec: ProjectSpec, parts: dict[str, list[Example]] | None = None) -> str | None:
    """The `tokenizer.json` a run of `spec` on `parts` (read and split here when not given)
    tokenizes with; None when there is none to be had (a hub model that is not downloaded and
    cannot be, or one without a fast tokenizer).

    A tiny build's tokenizer is reused by fingerprint; until the build exists, the tokenizer is
    trained alone and kept under `<output_dir>/tokenizers/FINGERPRINT/`, apart from the base models
    (a run's data checks read rows before the quality policy, so its fingerprint can differ)."""
    if spec.model.build != "tiny":
        return _base_tokenizer(spec)
    if parts is None:
        from tuneloop.data.prepare import read_and_split

        parts = read_and_split(spec)[1]
    corpus, labels, fingerprint = tiny_build(spec, parts)
    built = built_model_dir(spec.output_path, fingerprint) / TOKENIZER_FILE
    if built.is_file():
        return str(built)
    path = spec.output_path / TOKENIZERS_DIR / fingerprint / TOKENIZER_FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{TOKENIZER_FILE}.{os.getpid()}")
        train_bpe(corpus, spec.model.tiny.vocab_size, labels).save(str(partial))
        partial.replace(path)
    return str(path)


def _base_tokenizer(spec: ProjectSpec) -> str | None:
    assert spec.model.base is not None
    local = spec.root / spec.model.base
    if local.exists():
        found = local / TOKENIZER_FILE
        return str(found) if found.is_file() else None
    from huggingface_hub import hf_hub_download, try_to_load_from_cache

    cached = try_to_load_from_cache(spec.model.base, TOKENIZER_FILE)
    if isinstance(cached, str):
        return cached
    try:
        return str(hf_hub_download(spec.model.base, TOKENIZER_FILE))  # what the run downloads anyway
    except Exception:  # offline, no such repository, no fast tokenizer: the estimate stands in
        return None
