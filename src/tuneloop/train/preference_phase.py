"""The trainer of a `kto` or `dpo` phase: TRL's `KTOTrainer` on unpaired ratings, `DPOTrainer` on
pairs, from the previous phase's model (with LoRA adapters when the phase has `lora:`; the
reference model is then the same weights with the adapter off, else a frozen copy).

The rows come from `preference_rows.py`; the KTO weights from the spec, else from the counts of
desirable and undesirable rows (`kto_weights`). The phase saves and is gated like any other
(`phases.py`); with no validation evaluation, its gates are `general.*` ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import PreTrainedModel, Trainer, TrainerCallback
from trl import DPOTrainer, KTOConfig, KTOTrainer

from tuneloop.data.preference import Preference
from tuneloop.spec import Phase, ProjectSpec
from tuneloop.train.preference_rows import kto_weights, phase_preferences, preference_dataset
from tuneloop.train.trainer_config import lora_config, preference_config


def preference_trainer(
    spec: ProjectSpec,
    phase: Phase,
    model: PreTrainedModel,
    tokenizer: Any,
    out_dir: Path,
    callbacks: list[TrainerCallback],
    source_rows: list[Preference],
) -> tuple[Trainer, dict[str, Any]]:
    """The phase's TRL trainer over its preference rows (`source_rows`: the data's), and what it
    trains on, for the run's record: rows, beta, and for KTO the counts and the weights."""
    assert phase.preference is not None  # the spec fills it in for kto and dpo phases
    rows = phase_preferences(spec, phase, out_dir, source_rows)
    given = phase.preference.desirable_weight, phase.preference.undesirable_weight
    weights = (given[0], given[1]) if given[0] is not None and given[1] is not None else kto_weights(rows)
    args = preference_config(spec, phase, out_dir, weights)
    common: dict[str, Any] = {
        "model": model,
        "train_dataset": preference_dataset(rows, spec.seed),
        "processing_class": tokenizer,
        "peft_config": lora_config(phase.lora, model) if phase.lora else None,
        "callbacks": callbacks,
    }
    trained: dict[str, Any] = {"rows": len(rows), "beta": phase.preference.beta}
    if isinstance(args, KTOConfig):
        desirable = sum(bool(r.desirable) for r in rows)
        trained |= {"desirable": desirable, "undesirable": len(rows) - desirable}
        trained |= {"desirable_weight": weights[0], "undesirable_weight": weights[1]}
        return KTOTrainer(args=args, **common), trained
    return DPOTrainer(args=args, **common), trained
