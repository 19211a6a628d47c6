from __future__ import annotations

from transformers import TrainerControl, TrainerState, TrainingArguments

from tuneloop.spec import Evaluation, Phase
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
    monitor = PhaseMonitor(_phase(), [], [], None, Evaluation())
    _feed(monitor, [(3.0, 2.0), (2.5, 1.8), (2.0, 1.9), (1.5, 2.1)])
    kinds = [(e.step, e.kind) for e in monitor.events]
    assert (40, "overfitting") in kinds and (40, "metric_falling") in kinds
    assert monitor.best is not None and monitor.best["step"] == 20  # lowest validation loss


def test_steady_learning_raises_no_alarm() -> None:
    monitor = PhaseMonitor(_phase(), [], [], None, Evaluation())
    control = _feed(monitor, [(3.0, 2.0), (2.5, 1.8), (2.0, 1.7), (1.5, 1.6)])
    assert monitor.events == [] and not control.should_training_stop
    assert [r["loss"] for r in monitor.records] == [2.0, 1.8, 1.7, 1.6]


def test_early_stopping_after_patience_evaluations_without_improvement() -> None:
    phase = _phase(early_stopping={"metric": "loss", "patience": 2, "min_delta": 0.05})
    monitor = PhaseMonitor(phase, [], [], None, Evaluation())
    control = _feed(monitor, [(3.0, 2.0), (2.5, 1.5), (2.4, 1.48), (2.3, 1.47)])
    assert control.should_training_stop
    assert [(e.step, e.kind) for e in monitor.events] == [(40, "early_stop")]
