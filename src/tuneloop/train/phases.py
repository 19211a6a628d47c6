"""Train in phases: each phase of the spec starts from the weights the previous one saved.

- `causal_lm`: general adaptation, next-token loss on the training split's input texts and the
  unlabeled domain text (no labels): the seed's "start with general adjustments".
- `sft`: task-specific training on chat examples with assistant-only loss (TRL's SFTTrainer and
  the `{% generation %}` markers of the chat template).

Every phase reads `setup → train → save`: it writes `model/` (weights, tokenizer, task card) and
`metrics.jsonl` (one line per logged step) into its own directory under the run.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import torch
from datasets import Dataset
from peft import LoraConfig, PeftModel
from rich.console import Console
from transformers import (
    PrinterCallback,
    TrainerCallback,
    TrainerControl,
    TrainerState,
    TrainingArguments,
    set_seed,
)
from trl import SFTConfig, SFTTrainer

from tuneloop.data.example import Example
from tuneloop.distributed import is_main, is_sharded, wait_for_everyone
from tuneloop.errors import CheckFailed, TuneloopError
from tuneloop.spec import Gate, LoraSpec, Phase, ProjectSpec, higher_is_better
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import load_model_and_tokenizer, point_adapter_at
from tuneloop.train.general_set import general_texts, measure_general
from tuneloop.train.loss_mask import check_template, problems_in, verify_loss_mask
from tuneloop.train.mixture import MixPart, Row, as_dataset, draw_rows, encode
from tuneloop.train.monitor import PhaseMonitor
from tuneloop.train.progress import RichProgress
from tuneloop.train.tracking import Tracker

METRICS_FILE = "metrics.jsonl"


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
    gates: list[dict[str, Any]] = field(default_factory=list)
    mix: list[dict[str, Any]] = field(default_factory=list)  # rows drawn per source
    general_before: dict[str, float] | None = None  # the general set, on the model the phase started from
    general: dict[str, float] | None = None  # … and on the model it kept
    adapter: bool = False  # model_dir holds a LoRA adapter on top of the previous model

    @property
    def gates_passed(self) -> bool:
        return all(g["passed"] for g in self.gates)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class GateFailed(CheckFailed):
    """A phase ended below its gate; the round stops there (exit 1), with what it trained recorded."""

    def __init__(self, message: str, run_dir: Path | None = None, report: Path | None = None) -> None:
        super().__init__(message)
        self.run_dir, self.report = run_dir, report


def run_phases(
    spec: ProjectSpec,
    parts: dict[str, list[Example]],
    start_from: str,
    run_dir: Path,
    console: Console | None = None,
    record: Callable[[list[PhaseResult]], object] | None = None,
    done: list[PhaseResult] | None = None,
    tracker: Tracker | None = None,
) -> list[PhaseResult]:
    """Train every phase in order; `record` sees the results after each one, a failed gate stops.

    With `done` (the phases a resumed run already finished), training continues after them, and the
    first unfinished phase resumes from its latest checkpoint.
    """
    results: list[PhaseResult] = list(done or [])
    if results:
        start_from = results[-1].model_dir
    for index, phase in enumerate(spec.phases, start=1):
        if index <= len(results):
            continue
        out_dir = run_dir / "phases" / f"{index}-{phase.name}"
        previous = results[-1].general if results else None
        tracking = [tracker.start_phase(phase)] if tracker else []
        result = train_phase(
            spec, phase, parts, start_from, out_dir, console, done is not None, previous, tracking
        )
        if tracker:
            tracker.end_phase(result.to_dict())
        results.append(result)
        if record is not None:
            record(results)
        if not result.gates_passed:
            failed = "; ".join(_explain(g) for g in result.gates if not g["passed"])
            raise GateFailed(f"phase {phase.name!r} failed its gate: {failed}; later phases were not run")
        start_from = result.model_dir
    return results


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
) -> PhaseResult:
    """Train one phase into `out_dir`; with `resume`, from its latest checkpoint when it has one.

    `previous_general` is the general set measured on the model this phase starts from, when an
    earlier phase already measured it."""
    if phase.lora is not None and phase.lora.merge and is_sharded():
        raise TuneloopError(
            f"phase {phase.name!r}: under FSDP or DeepSpeed no process holds whole weights to merge a LoRA "
            "adapter into; set lora.merge: false (the adapter is saved and chained) or train full weights"
        )
    set_seed(spec.seed)
    model, tokenizer = load_model_and_tokenizer(start_from)
    train_dataset, mix = phase_dataset(spec, phase, parts, tokenizer)
    watched = parts.get("validation", [])[: phase.eval_rows] if phase.eval_every else []
    if phase.eval_every and not watched:
        raise TuneloopError(f"phase {phase.name!r}: eval_every needs validation rows, and the split has none")
    general = general_texts(parts, spec.data.general_rows)
    before = previous_general or measure_general(model, tokenizer, general, phase.max_length)
    monitor = PhaseMonitor(phase, watched, spec.label_names, tokenizer, spec.evaluation)
    trainer = SFTTrainer(
        model=model,
        args=training_config(spec, phase, out_dir),
        train_dataset=train_dataset,
        eval_dataset=_watched_dataset(phase, watched, tokenizer) if watched else None,
        processing_class=tokenizer,
        peft_config=_lora_config(phase.lora) if phase.lora else None,
        callbacks=[
            monitor,
            *([RichProgress(f"phase {phase.name} ({phase.kind})", console)] if is_main() else []),
            PhaseEnds(monitored=bool(watched)),
            *(tracking or []),  # after the monitor, so evaluations carry the task metrics
        ],
    )
    trainer.remove_callback(PrinterCallback)  # the rich bar shows the loss; raw dicts are noise
    checkpoint = latest_checkpoint(out_dir) if resume else None
    if checkpoint is not None and console is not None:
        console.print(f"phase {phase.name}: resuming from {checkpoint.name}")
    began = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    runtime = time.perf_counter() - began
    after = measure_general(trainer.model, tokenizer, general, phase.max_length)
    model_dir = out_dir / "model"
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
        tokenizer.save_pretrained(model_dir)
        TaskCard.from_spec(spec).save(model_dir)
        shutil.rmtree(out_dir / "checkpoints", ignore_errors=True)
        _write_metrics(records, out_dir / METRICS_FILE)
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
        gates=[_judge(gate, best, after, before) for gate in phase.gate],
        mix=[m.to_dict() for m in mix],
        general_before=before,
        general=after,
        adapter=adapter,
    )


def _judge(
    gate: Gate,
    best: dict[str, Any] | None,
    general: dict[str, float] | None,
    general_before: dict[str, float] | None,
) -> dict[str, Any]:
    """A gate's verdict with what it compared; nothing to judge (no evaluation, no general set) fails."""
    measured = best if gate.set == "val" else general
    actual = None if measured is None else measured.get(gate.metric)
    threshold = gate.threshold(general_before)
    passed = actual is not None and threshold is not None and gate.passes(actual, threshold)
    return {"gate": str(gate), "actual": actual, "threshold": threshold, "passed": passed}


def _explain(verdict: dict[str, Any]) -> str:
    if verdict["actual"] is None:
        return f"{verdict['gate']} (nothing to judge: no evaluation or no general set)"
    needed = "" if verdict["threshold"] is None else f", needed {verdict['threshold']:.4f}"
    return f"{verdict['gate']} (got {verdict['actual']:.4f}{needed})"


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
    rows, mix = draw_rows(phase, parts, spec.seed)
    template = check_template(tokenizer) if phase.kind == "sft" else None
    encoded = list(encode(tokenizer, rows, template))
    chats = sum(not r.as_text for r in rows)
    if chats:
        verify_loss_mask(problems_in(rows, encoded, phase.max_length), chats, phase.name)
    return as_dataset(encoded), mix


def _watched_dataset(phase: Phase, watched: list[Example], tokenizer: Any) -> Dataset:
    """The validation subset, masked as the phase trains: the answer in sft, all text otherwise."""
    rows = [Row(e, as_text=phase.kind == "causal_lm") for e in watched]
    template = check_template(tokenizer) if phase.kind == "sft" else None
    return as_dataset(list(encode(tokenizer, rows, template)))


def training_config(spec: ProjectSpec, phase: Phase, out_dir: Path) -> SFTConfig:
    """The trainer settings of a phase (also what benchmarks/train_throughput.py measures)."""
    on_cpu = not torch.cuda.is_available()
    return SFTConfig(
        output_dir=str(out_dir / "checkpoints"),
        assistant_only_loss=False,  # the rows carry their own loss mask (train/mixture.py)
        num_train_epochs=phase.epochs,
        max_steps=phase.max_steps or -1,
        learning_rate=phase.learning_rate,
        per_device_train_batch_size=phase.batch_size,
        gradient_accumulation_steps=phase.gradient_accumulation,
        warmup_steps=phase.warmup_ratio,  # a float below 1 is a ratio of the total steps
        weight_decay=phase.weight_decay,
        lr_scheduler_type=phase.scheduler,
        max_length=phase.max_length,
        logging_steps=phase.logging_steps,
        report_to="none",
        seed=spec.seed,
        data_seed=spec.seed,
        disable_tqdm=True,
        # TRL turns these on by default (gradient checkpointing is now activation checkpointing);
        # on CPU they make training about 13x slower.
        bf16=False if on_cpu else torch.cuda.is_bf16_supported(),
        activation_checkpointing=not on_cpu,  # the new name of gradient_checkpointing
        # Packing and padding-free attend over the whole flattened batch with sdpa on CPU:
        # grouping by length saves the padding without that cost.
        packing=False,
        padding_free=False,
        train_sampling_strategy="group_by_length",
        dataset_num_proc=None,
        dataloader_pin_memory=not on_cpu,
        ddp_find_unused_parameters=False,  # every weight trains; skips a graph walk per step
        use_cpu=on_cpu,  # also makes a multi-process launch on CPU use gloo (accelerate's MULTI_CPU)
        **_monitoring(phase),
    )


def latest_checkpoint(out_dir: Path) -> Path | None:
    """The phase's newest trainer checkpoint, left behind when training was interrupted."""
    complete = [  # a kill can leave a checkpoint half written; the trainer writes these two last
        p
        for p in (out_dir / "checkpoints").glob("checkpoint-*")
        if (p / "trainer_state.json").is_file() and (p / "rng_state.pth").is_file()
    ]
    return max(complete, key=lambda p: int(p.name.split("-")[-1]), default=None)


def _lora_config(lora: LoraSpec) -> LoraConfig:
    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        modules_to_save=lora.modules_to_save or None,
        task_type="CAUSAL_LM",
    )


def _monitoring(phase: Phase) -> dict[str, Any]:
    """Checkpoints (for resuming) every `save_every` steps, or at each evaluation with `eval_every`,
    where the best checkpoint by the phase's metric is the one kept."""
    if phase.eval_every is None:
        if phase.save_every is None:
            return {"save_strategy": "no"}
        return {"save_strategy": "steps", "save_steps": phase.save_every, "save_total_limit": 1}
    return {
        "eval_strategy": "steps",
        "eval_steps": phase.eval_every,
        "save_strategy": "steps",
        "save_steps": phase.eval_every,
        "save_total_limit": 1,
        "load_best_model_at_end": True,
        "metric_for_best_model": phase.selection_metric,
        "greater_is_better": higher_is_better(phase.selection_metric),
        "per_device_eval_batch_size": phase.batch_size,
    }


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
        }
        for e in log_history
        if e.get("kind") == "eval" or "loss" in e
    ]


def _write_metrics(records: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for record in records:
            fh.write(orjson.dumps(record) + b"\n")
