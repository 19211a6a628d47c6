"""Trainer settings: LoRA on the top layers only, and bf16 only where the hardware has it."""

from __future__ import annotations

from pathlib import Path

import pytest
from peft import get_peft_model

from tests.conftest import TINY_SIZES, banking_rows
from tuneloop.models import load_model_and_tokenizer
from tuneloop.spec import LoraSpec, TinyModel
from tuneloop.train import trainer_config
from tuneloop.train.base_model import build_tiny_model
from tuneloop.train.trainer_config import lora_config, uses_bf16


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("m") / "base"
    sizes = TinyModel(**{**TINY_SIZES, "layers": 4})
    return build_tiny_model(sizes, [r["text"] for r in banking_rows(20)], path, [])


def _adapted_layers(model_dir: Path, lora: LoraSpec) -> set[int]:
    model, _ = load_model_and_tokenizer(str(model_dir))
    peft = get_peft_model(model, lora_config(lora, model))
    return {
        int(name.split("layers.")[1].split(".")[0]) for name, _ in peft.named_parameters() if "lora_A" in name
    }


def test_layers_puts_adapters_on_the_top_layers_only(model_dir: Path) -> None:
    assert _adapted_layers(model_dir, LoraSpec(layers=2)) == {2, 3}
    assert _adapted_layers(model_dir, LoraSpec()) == {0, 1, 2, 3}
    assert _adapted_layers(model_dir, LoraSpec(layers=9)) == {0, 1, 2, 3}  # more than the model has: all


def test_all_linear_on_the_top_layers_means_every_linear_layer_but_the_head(model_dir: Path) -> None:
    model, _ = load_model_and_tokenizer(str(model_dir))
    targets = lora_config(LoraSpec(layers=1), model).target_modules
    assert set(targets) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def test_precision_auto_follows_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trainer_config.torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(trainer_config, "native_cpu_bf16", lambda: False)
    assert not uses_bf16("auto")
    assert uses_bf16("bf16") and not uses_bf16("fp32")
    monkeypatch.setattr(trainer_config, "native_cpu_bf16", lambda: True)
    assert uses_bf16("auto")


def test_native_bf16_is_read_from_the_cpu_flags(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    original = Path.read_text

    def read(path: Path, *args: object, **kwargs: object) -> str:
        return cpuinfo.read_text() if str(path) == "/proc/cpuinfo" else original(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", read)
    cpuinfo.write_text("flags\t: fpu avx avx2 avx512f\n")
    assert not trainer_config.native_cpu_bf16()
    cpuinfo.write_text("flags\t: fpu avx2 avx512f avx512_bf16 amx_tile\n")
    assert trainer_config.native_cpu_bf16()
