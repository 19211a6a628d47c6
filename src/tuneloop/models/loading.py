"""Loading a model and its tokenizer, one way for every model tuneloop meets.

A model tuneloop built (`build: tiny`), a user's directory or hub id (`base:`), and a phase saved as
a LoRA adapter all load through `load_model_and_tokenizer`, so training and evaluation never differ
in how they read a model. It sits below both stages: train saves what evaluate later loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from tuneloop.errors import TuneloopError

ADAPTER_CONFIG = "adapter_config.json"  # what peft saves beside an adapter


def load_model_and_tokenizer(path_or_id: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load any causal LM the same way, a user's model or the tiny one.

    A directory holding a LoRA adapter (a phase trained with `lora.merge: false`) is loaded onto
    the model it was trained from, recursively, so a chain of adapters loads as one model."""
    adapter = Path(path_or_id) / ADAPTER_CONFIG
    if adapter.is_file():
        start = orjson.loads(adapter.read_bytes())["base_model_name_or_path"]
        model, _ = load_model_and_tokenizer(start)
        merged = PeftModel.from_pretrained(model, path_or_id).merge_and_unload()
        return merged, _load_tokenizer(path_or_id)
    tokenizer = _load_tokenizer(path_or_id)
    try:
        model = AutoModelForCausalLM.from_pretrained(path_or_id, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise TuneloopError(f"cannot load model {path_or_id!r}: {str(exc).splitlines()[0]}") from None
    return model, tokenizer


def _load_tokenizer(path_or_id: str) -> PreTrainedTokenizerBase:
    try:
        tokenizer = AutoTokenizer.from_pretrained(path_or_id)
    except (OSError, ValueError) as exc:
        raise TuneloopError(f"cannot load model {path_or_id!r}: {str(exc).splitlines()[0]}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def point_adapter_at(model_dir: Path, start_from: str) -> None:
    """Make a saved adapter name the model it was trained on (the previous phase's), so the chain
    loads back in order (`load_model_and_tokenizer`) and with peft alone."""
    config_path = model_dir / ADAPTER_CONFIG
    config = orjson.loads(config_path.read_bytes())
    local = Path(start_from)
    config["base_model_name_or_path"] = str(local.resolve()) if local.exists() else start_from
    config_path.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2))


def load_for_inference(model_dir: str) -> tuple[Any, Any]:
    """Load a model once for any number of scoring calls, on the GPU when there is one."""
    model, tokenizer = load_model_and_tokenizer(model_dir)
    torch.nn.Module.to(model, "cuda" if torch.cuda.is_available() else "cpu")  # its .to() is mistyped
    return model, tokenizer
