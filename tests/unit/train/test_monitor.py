from __future__ import annotations

from typing import Any

import pytest
from transformers import TrainerControl, TrainerState, TrainingArguments

from tuneloop.data.example import Example
from tuneloop.spec import Phase
from tuneloop.spec.training import MONITORED_METRICS
from tuneloop.train.monitor import PhaseMonitor

ARGS = TrainingArguments(output_dir="/tmp/unused", report_to="none")


def _feed(monitor: PhaseMonitor, history: list[tuple[float, float]]) -> TrainerControl:
    """(training loss, validation loss) pairs, one evaluation each, 10 steps apart."""
    control = TrainerControl()
    for i, (train_loss, val_loss) in enumerate(history, start=1):
        state = TrainerState(global_step=10 * i)
        monitor.on_log(ARGS, state, control, logs={"loss": train_loss})
        control = monitor.on_evaluate(ARGS, state, control, metrics={"eval_loss": val_loss})
    return control


def _phase(**extra: object) -> Phase:
    return Phase.model_validate({"name": "general", "kind": "causal_lm", "eval_every": 10, **extra})


def test_validation_loss_rising_while_training_loss_falls_is_an_overfitting_alarm() -> None:
    monitor = PhaseMonitor(_phase(), "classify", [], None, None)
    _feed(monitor, [(3.0, 2.0), (2.5, 1.8), (2.0, 1.9), (1.5, 2.1)])
    kinds = [(e.step, e.kind) for e in monitor.events]
    assert (40, "overfitting") in kinds and (40, "metric_falling") in kinds
    assert monitor.best is not None and monitor.best["step"] == 20  # lowest validation loss


def test_steady_learning_raises_no_alarm() -> None:
    monitor = PhaseMonitor(_phase(), "classify", [], None, None)
    control = _feed(monitor, [(3.0, 2.0), (2.5, 1.8), (2.0, 1.7), (1.5, 1.6)])
    assert monitor.events == [] and not control.should_training_stop
    assert [r["loss"] for r in monitor.records] == [2.0, 1.8, 1.7, 1.6]


def test_early_stopping_after_patience_evaluations_without_improvement() -> None:
    phase = _phase(early_stopping={"metric": "loss", "patience": 2, "min_delta": 0.05})
    monitor = PhaseMonitor(phase, "classify", [], None, None)
    control = _feed(monitor, [(3.0, 2.0), (2.5, 1.5), (2.4, 1.48), (2.3, 1.47)])
    assert control.should_training_stop
    assert [(e.step, e.kind) for e in monitor.events] == [(40, "early_stop")]


def test_a_monitored_sft_phase_is_scored_by_the_scorer_the_round_gives_it() -> None:
    calls: list[tuple[Any, int]] = []

    def score(model: Any, tokenizer: Any, examples: list[Example], batch_size: int) -> dict[str, float]:
        calls.append((model, batch_size))
        return {key: 0.25 for key in MONITORED_METRICS["classify"]}

    phase = _phase(kind="sft", batch_size=4)
    monitor = PhaseMonitor(phase, "classify", [], None, score)
    metrics = {"eval_loss": 1.0}
    monitor.on_evaluate(ARGS, TrainerState(global_step=10), TrainerControl(), metrics=metrics, model="m")
    assert calls == [("m", 4)]
    assert monitor.records[0]["accuracy"] == 0.25 and metrics["eval_macro_f1"] == 0.25


def test_a_label_set_phase_keeps_its_best_micro_f1_and_stops_when_it_stalls() -> None:
    """A multilabel phase is judged by micro-F1 unless told otherwise, and a lower-is-better set
    metric (Hamming loss) stops it when it stops falling."""
    f1s = iter([0.2, 0.5, 0.4])

    def score(model: Any, tokenizer: Any, examples: list[Example], batch_size: int) -> dict[str, float]:
        return {"micro_f1": next(f1s), "hamming_loss": 0.1}

    monitor = PhaseMonitor(_phase(kind="sft"), "multilabel", [], None, score)
    for step in (10, 20, 30):
        monitor.on_evaluate(ARGS, TrainerState(global_step=step), TrainerControl(), metrics={}, model="m")
    assert monitor.best is not None and monitor.best["step"] == 20 and monitor.best["micro_f1"] == 0.5
    stall = _phase(kind="sft", early_stopping={"metric": "hamming_loss", "patience": 1})
    stalled = PhaseMonitor(stall, "multilabel", [], None, lambda *_: {"micro_f1": 0.5, "hamming_loss": 0.1})
    for step in (10, 20):
        control = stalled.on_evaluate(ARGS, TrainerState(global_step=step), TrainerControl(), model="m")
    assert control.should_training_stop and stalled.events[-1].message.startswith("validation hamming_loss")


def test_a_monitored_sft_phase_without_a_scorer_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a task scorer"):
        PhaseMonitor(_phase(kind="sft"), "classify", [], None, None)
