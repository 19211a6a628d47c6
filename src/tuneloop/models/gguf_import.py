"""Bring a GGUF model file (llama.cpp, Ollama, LM Studio) in as a normal Hugging Face directory.

transformers reads GGUF (with the `gguf` package) by de-quantising every tensor to float, but a
model loaded that way refuses `save_pretrained` ("quantized with gguf and is not serializable").
So the weights are copied into a model built from the same config without its
`quantization_config`, and saved as safetensors with the tokenizer; from then on `base:` loads the
directory with plain `from_pretrained`, like any other. The chat template's default system prompt
is cut out (`chat_template.py`), and `tuneloop_import.json` records the source file, its sha256 and
what was changed, so a run's base model can be traced to the exact file it came from.

The directory is written beside its final place and renamed into it, so an import that fails half
way leaves nothing behind, and an existing model is replaced only when asked (`force`).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from tuneloop.errors import TuneloopError
from tuneloop.models.chat_template import without_default_system
from tuneloop.run_dir import write_json

MODELS_DIR = "models"  # a project's imported base models, one directory each
IMPORT_RECORD = "tuneloop_import.json"
_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ImportRecord:
    """Where an imported model came from and what tuneloop changed on the way."""

    source: str
    sha256: str
    size_bytes: int
    architecture: str
    parameters: int
    default_system_prompt: str | None  # what the template inserted when a chat had no system turn
    default_system_removed: bool
    imported_at: str
    origin: dict[str, str] | None = None  # the package or hub model the file was taken from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def import_gguf(
    gguf: Path, out_dir: Path, force: bool = False, origin: dict[str, str] | None = None
) -> ImportRecord:
    """De-quantise `gguf` into a Hugging Face directory at `out_dir`, with its import record."""
    _check_file(gguf)
    if out_dir.exists() and not force:
        raise TuneloopError(f"{out_dir} already exists; pass --force to replace it")
    _require_gguf_package()
    staging = out_dir.with_name(f".{out_dir.name}.importing")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        record = _convert(gguf, staging, origin)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return record


def _check_file(gguf: Path) -> None:
    if not gguf.is_file():
        raise TuneloopError(f"{gguf}: no such file")
    with gguf.open("rb") as fh:
        magic = fh.read(4)
    if magic != _MAGIC:
        raise TuneloopError(f"{gguf}: not a GGUF file (it starts with {magic!r}, a GGUF file with b'GGUF')")


def _require_gguf_package() -> None:
    """Checked after the cheap checks, so a bad path or a kept model is reported without the extra."""
    try:
        import gguf as _  # noqa: F401 — transformers needs it to read the file
    except ImportError:
        raise TuneloopError(
            "reading GGUF files needs the gguf package: pip install 'tuneloop[gguf]'"
        ) from None


def _convert(gguf: Path, out_dir: Path, origin: dict[str, str] | None) -> ImportRecord:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where, name = str(gguf.parent), gguf.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, gguf_file=name)
        loaded = AutoModelForCausalLM.from_pretrained(where, gguf_file=name, dtype=torch.float32)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise TuneloopError(f"{gguf}: cannot read it as a model: {str(exc).splitlines()[0]}") from None
    model = _plain_copy(loaded)
    default = without_default_system(tokenizer)
    if default is not None:
        tokenizer.chat_template = default.template
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    out_dir.mkdir(parents=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    record = ImportRecord(
        source=str(gguf.resolve()),
        sha256=file_sha256(gguf),
        size_bytes=gguf.stat().st_size,
        architecture=type(model).__name__,
        parameters=sum(p.numel() for p in model.parameters()),
        default_system_prompt=default.text if default else None,
        default_system_removed=bool(default and default.removed),
        imported_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        origin=origin,
    )
    write_json(out_dir / IMPORT_RECORD, record.to_dict())
    return record


def _plain_copy(loaded: Any) -> Any:
    """The de-quantised weights in a model whose config has no `quantization_config`, which
    `save_pretrained` writes as ordinary safetensors."""
    from transformers import AutoModelForCausalLM

    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    return model


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
