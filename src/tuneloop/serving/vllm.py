"""The `vllm serve` command that serves the same model on a GPU (`tuneloop serve-model RUN
--print-vllm`): the model directory itself, or, for a run whose last phase saved a LoRA adapter
(`lora.merge: false`), the base model with the adapter mounted under the served name.

vLLM mounts one adapter on a model it loads from the hub or a directory, so an adapter trained on
top of another adapter (a chain) is refused: merge it first (`lora.merge: true`).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import orjson

from tuneloop.errors import TuneloopError
from tuneloop.models.loading import ADAPTER_CONFIG
from tuneloop.serving.served import Target

VLLM_DEFAULT_MAX_LORA_RANK = 16  # vLLM's --max-lora-rank default: a larger adapter rank needs the flag


def vllm_command(target: Target, host: str, port: int) -> str:
    """The shell command, quoted, serving `target` under the same model name as tuneloop's server."""
    adapter = target.model_dir / ADAPTER_CONFIG
    where = ["--host", host, "--port", str(port)]
    if not adapter.is_file():
        return shlex.join(["vllm", "serve", str(target.model_dir), "--served-model-name", target.id, *where])
    config = orjson.loads(adapter.read_bytes())
    base = str(config["base_model_name_or_path"])
    if (Path(base) / ADAPTER_CONFIG).is_file():
        raise TuneloopError(
            f"{target.model_dir}: its adapter sits on another adapter ({base}); vLLM mounts one adapter on a "
            "full model: train the earlier phases with lora.merge: true, or serve with tuneloop serve-model"
        )
    command = ["vllm", "serve", base, "--enable-lora", "--lora-modules", f"{target.id}={target.model_dir}"]
    rank = int(config.get("r") or 0)
    if rank > VLLM_DEFAULT_MAX_LORA_RANK:
        command += ["--max-lora-rank", str(1 << (rank - 1).bit_length())]  # vLLM takes powers of two
    return shlex.join([*command, *where])
