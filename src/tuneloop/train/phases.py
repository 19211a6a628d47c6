"""Train in phases: each phase of the spec starts from the weights the previous one saved.

- `causal_lm`: general adaptation, next-token loss on the training split's input texts and the
  unlabeled domain text (no labels): the seed's "start with general adjustments".
- `sft`: task-specific training on chat examples with assistant-only loss (TRL's SFTTrainer and
  the `{% generation %}` markers of the chat template).
- `kto`, `dpo`: preference training on rated answers or corrected ones (`preference_phase.py`).

Every phase reads `setup → train → save`: it writes `model/` (weights, tokenizer, task card) and
`metrics.jsonl` (one line per logged step) into its own directory under the run.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
from datasets import Dataset
from peft import PeftModel
from rich.console import Console
from transformers import (
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
    set_seed,
)
from trl import SFTTrainer

from tuneloop.data.example import Example
from tuneloop.data.preference import Preference
from tuneloop.distributed import is_main, is_sharded, wait_for_everyone
from tuneloop.errors import CheckFailed, TuneloopError
from tuneloop.models import load_model_and_tokenizer, point_adapter_at
from tuneloop.run_dir import CHECKPOINTS_DIR, PHASE_MODEL_DIR, phase_log
from tuneloop.spec import PREFERENCE_KINDS, Gate, Phase, ProjectSpec
from tuneloop.task_card import TaskCard
from tuneloop.train.general_set import general_texts, measure_general
from tuneloop.train.loss_mask import check_template, problems_in, verify_loss_mask
from tuneloop.train.mixture import (
    MixPart,
    PhaseRow,
    as_dataset,
    draw_rows,
    encode,
    mean_trained_tokens,
    with_trained_tokens,
)
from tuneloop.train.monitor import PhaseMonitor, TaskScorer
from tuneloop.train.preference_phase import preference_trainer
from tuneloop.train.progress import RichProgress
from tuneloop.train.trainer_config import latest_checkpoint, lora_config, training_config
from tuneloop.verdict import Verdict


@dataclass(frozen=True)
class PhaseResult:
    name: str
    kind: str
    model_dir: str
    steps: int
    first_loss: float
    last_loss: float
    runtime_s: float
    best: dict[str, Any] | None = None  # the kept evaluation, when the phase was monitored
    events: list[dict[str, Any]] = field(default_factory=list)
    gates: list[Verdict] = field(default_factory=list)
    mix: list[dict[str, Any]] = field(default_factory=list)  # rows drawn per source
    preference: dict[str, Any] | None = None  # a kto or dpo phase's rows, beta and KTO weights
    general_before: dict[str, float] | None = None  # the general set, on the model the phase started from
    general: dict[str, float] | None = None  # … and on the model it kept
    adapter: bool = False  # model_dir holds a LoRA adapter on top of the previous model

    @property
    def gates_passed(self) -> bool:
        return all(g.passed for g in self.gates)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gates": [g.to_dict() for g in self.gates]}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> PhaseResult:
        """A finished phase as run.json records it (a resumed run picks up after it)."""
        return cls(**{**record, "gates": [Verdict.from_dict("phase", g) for g in record.get("gates", [])]})


class GateFailed(CheckFailed):
    """A phase ended below its gate; the round stops there (exit 1), with what it trained recorded."""

    def __init__(self, message: str, run_dir: Path | None = None, report: Path | None = None) -> None:
        super().__init__(message)
        self.run_dir, self.report = run_dir, report


def train_phase(
    spec: ProjectSpec,
    phase: Phase,
    parts: dict[str, list[Example]],
    start_from: str,
    out_dir: Path,
    console: Console | None = None,
    resume: bool = False,
    previous_general: dict[str, float] | None = None,
    tracking: list[TrainerCallback] | None = None,
    score: TaskScorer | None = None,
    preferences: list[Preference] | None = None,
) -> PhaseResult:
    """Train one phase into `out_dir`: setup → train → save; with `resume`, from its latest
    checkpoint when it has one.

    `previous_general` is the general set measured on the model this phase starts from, when an
    earlier phase already measured it; `score` scores a monitored sft phase's validation subset;
    `preferences` are the data's preference rows, for a kto or dpo phase that reads them."""
    setup = _setup(
        spec, phase, parts, start_from, out_dir, console, previous_general, tracking, score, preferences or []
    )
    checkpoint = latest_checkpoint(out_dir) if resume else None
    if checkpoint is not None and console is not None:
        console.print(f"phase {phase.name}: resuming from {checkpoint.name}")
    began = time.perf_counter()
    setup.trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    return _save(spec, phase, setup, start_from, out_dir, time.perf_counter() - began)


@dataclass(frozen=True)
class PhaseSetup:
    """A phase ready to train: its trainer, and what its result is judged and recorded by."""

    trainer: Trainer
    tokenizer: Any
    monitor: PhaseMonitor
    mix: list[MixPart]
    preference: dict[str, Any] | None
    general: list[str]
    general_before: dict[str, float] | None


def _setup(
    spec: ProjectSpec,
    phase: Phase,
    parts: dict[str, list[Example]],
    start_from: str,
    out_dir: Path,
    console: Console | None,
    previous_general: dict[str, float] | None,
    tracking: list[TrainerCallback] | None,
    score: TaskScorer | None,
    preferences: list[Preference],
) -> PhaseSetup:
    """Load the model the phase starts from, draw and encode its rows, measure the general set and
    build the trainer with the monitor, the progress bar and the tracking callbacks."""
    if phase.lora is not None and phase.lora.merge and is_sharded():
        raise TuneloopError(
            f"phase {phase.name!r}: under FSDP or DeepSpeed no process holds whole weights to merge a LoRA "
            "adapter into; set lora.merge: false (the adapter is saved and chained) or train full weights"
        )
    set_seed(spec.seed)
    model, tokenizer = load_model_and_tokenizer(start_from)
    watched = parts.get("validation", [])[: phase.eval_rows] if phase.eval_every else []
    if phase.eval_every and not watched:
        raise TuneloopError(f"phase {phase.name!r}: eval_every needs validation rows, and the split has none")
    general = general_texts(parts, spec.data.general_rows)
    before = previous_general or measure_general(model, tokenizer, general, phase.max_length)
    monitor = PhaseMonitor(phase, spec.objective.task, watched, tokenizer, score)
    callbacks: list[TrainerCallback] = [
        monitor,
        *([RichProgress(f"phase {phase.name} ({phase.kind})", console)] if is_main() else []),
        PhaseEnds(monitored=bool(watched)),
        *(tracking or []),  # after the monitor, so evaluations carry the task metrics
    ]
    mix: list[MixPart] = []
    preference = None
    if phase.kind in PREFERENCE_KINDS:
        trainer, preference = preference_trainer(
            spec, phase, model, tokenizer, out_dir, callbacks, preferences
        )
    else:
        train_dataset, mix = phase_dataset(spec, phase, parts, tokenizer)
        trainer = SFTTrainer(
            model=model,
            args=training_config(spec, phase, out_dir),
            train_dataset=train_dataset,
            eval_dataset=_watched_dataset(phase, watched, tokenizer) if watched else None,
            processing_class=tokenizer,
            peft_config=lora_config(phase.lora, model) if phase.lora else None,
            callbacks=callbacks,
        )
    trainer.remove_callback(PrinterCallback)  # the rich bar shows the loss; raw dicts are noise
    return PhaseSetup(trainer, tokenizer, monitor, mix, preference, general, before)


def _save(
    spec: ProjectSpec, phase: Phase, setup: PhaseSetup, start_from: str, out_dir: Path, runtime: float
) -> PhaseResult:
    """Save the kept model with its tokenizer and task card and the phase log, measure the general
    set on it, and judge the phase's gates."""
    trainer, monitor, before = setup.trainer, setup.monitor, setup.general_before
    after = measure_general(trainer.model, setup.tokenizer, setup.general, phase.max_length)
    model_dir = out_dir / PHASE_MODEL_DIR
    adapter = phase.lora is not None and not phase.lora.merge
    if isinstance(trainer.model, PeftModel) and not adapter:  # full weights: later steps load a plain model
        full = trainer.model.merge_and_unload()
        if is_main():
            full.save_pretrained(model_dir)
    else:  # the best evaluation's weights when monitored; with `merge: false`, the adapter alone
        trainer.save_model(str(model_dir))  # every process calls it: FSDP and ZeRO-3 gather here
    records = _metric_records(trainer.state.log_history)
    if is_main():
        if adapter:  # chained: the adapter sits on the model this phase started from
            point_adapter_at(model_dir, start_from)
        setup.tokenizer.save_pretrained(model_dir)
        TaskCard.from_spec(spec).save(model_dir)
        shutil.rmtree(out_dir / CHECKPOINTS_DIR, ignore_errors=True)
        _write_metrics(records, phase_log(model_dir))
    wait_for_everyone()  # the next phase, in every process, starts from what the main one saved
    losses = [r["loss"] for r in records if r["kind"] == "train"]
    best = monitor.best
    return PhaseResult(
        name=phase.name,
        kind=phase.kind,
        model_dir=str(model_dir),
        steps=trainer.state.global_step,
        first_loss=losses[0] if losses else float("nan"),
        last_loss=losses[-1] if losses else float("nan"),
        runtime_s=round(runtime, 1),
        best=best,
        events=[e.to_dict() for e in monitor.events],
        gates=phase_gate_verdicts(phase.gate, best, after, before),
        mix=[m.to_dict() for m in setup.mix],
        preference=setup.preference,
        general_before=before,
        general=after,
        adapter=adapter,
    )


def phase_gate_verdicts(
    gates: list[Gate],
    best: dict[str, Any] | None,
    general: dict[str, float] | None,
    general_before: dict[str, float] | None,
) -> list[Verdict]:
    """Each gate of a phase on the kept model: a `val` gate on its best evaluation, a `general` gate
    on the general set (against the start model's for `previous`); nothing to judge (no
    evaluation, no general set) fails."""
    verdicts = []
    for gate in gates:
        measured = best if gate.set == "val" else general
        actual = None if measured is None else measured.get(gate.metric)
        threshold = gate.threshold(general_before)
        passed = actual is not None and threshold is not None and gate.passes(actual, threshold)
        verdicts.append(Verdict("phase", str(gate), passed, actual=actual, threshold=threshold))
    return verdicts


def explain_failed(result: PhaseResult) -> str:
    """The phase's failed gates, each with what it measured and what it needed."""
    return "; ".join(_explain(g) for g in result.gates if not g.passed)


def _explain(verdict: Verdict) -> str:
    if verdict.actual is None:
        return f"{verdict.gate} (nothing to judge: no evaluation or no general set)"
    needed = "" if verdict.threshold is None else f", needed {verdict.threshold:.4f}"
    return f"{verdict.gate} (got {verdict.actual:.4f}{needed})"


class PhaseEnds(TrainerCallback):
    """Log the first and the last step, so even a short phase has a loss curve's two ends; and when
    the phase is monitored, evaluate and checkpoint the last step too, so its gate always judges an
    evaluation and the kept model is the best of all of them."""

    def __init__(self, monitored: bool) -> None:
        self.monitored = monitored

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> TrainerControl:
        if state.global_step in (1, state.max_steps):
            control.should_log = True
        if self.monitored and state.global_step == state.max_steps:
            control.should_evaluate = control.should_save = True
        return control


def phase_dataset(
    spec: ProjectSpec, phase: Phase, parts: dict[str, list[Example]], tokenizer: Any
) -> tuple[Dataset, list[MixPart]]:
    """The phase's rows (its mixture), tokenized with their loss masks; an sft phase first proves
    that every example trains its whole answer (`loss_mask.py`)."""
    template = check_template(tokenizer) if phase.kind == "sft" else None
    cost_of = mean_trained_tokens(tokenizer, template, phase.max_length)
    rows, mix = draw_rows(phase, parts, spec.seed, cost_of)
    encoded = list(encode(tokenizer, rows, template))
    chats = sum(not r.as_text for r in rows)
    if chats:
        verify_loss_mask(problems_in(rows, encoded, phase.max_length), chats, phase.name)
    return as_dataset(encoded), with_trained_tokens(mix, rows, encoded)


def _watched_dataset(phase: Phase, watched: list[Example], tokenizer: Any) -> Dataset:
    """The validation subset, masked as the phase trains: the answer in sft, all text otherwise."""
    rows = [PhaseRow(e, as_text=phase.kind == "causal_lm") for e in watched]
    template = check_template(tokenizer) if phase.kind == "sft" else None
    return as_dataset(list(encode(tokenizer, rows, template)))


#: What KTO and DPO log besides the loss: rewards (chosen, rejected, margins), log-probabilities, KL.
PREFERENCE_METRICS = ("rewards/", "logps/", "kl")


def _metric_records(log_history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per logged training step (`kind: train`) and per evaluation (`kind: eval`)."""
    return [
        e
        if e.get("kind") == "eval"
        else {
            "kind": "train",
            "step": e["step"],
            "loss": float(e["loss"]),
            "learning_rate": float(e.get("learning_rate", 0.0)),
            "epoch": e.get("epoch"),
            **{k: float(v) for k, v in e.items() if k.startswith(PREFERENCE_METRICS)},
        }
        for e in log_history
        if e.get("kind") == "eval" or "loss" in e
    ]


def _write_metrics(records: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for record in records:
            fh.write(orjson.dumps(record) + b"\n")
