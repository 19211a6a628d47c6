from __future__ import annotations

import io

from rich.console import Console
from transformers import TrainerControl, TrainerState, TrainingArguments

from tuneloop.train.progress import RichProgress

ARGS = TrainingArguments(output_dir="/tmp/unused", report_to="none")


def test_the_bar_shows_step_loss_and_the_latest_validation_result() -> None:
    buffer = io.StringIO()
    bar = RichProgress("phase task (sft)", Console(file=buffer, width=200, force_terminal=False))
    state, control = TrainerState(max_steps=4), TrainerControl()
    bar.on_train_begin(ARGS, state, control)
    state.global_step = 2
    bar.on_step_end(ARGS, state, control)
    bar.on_log(ARGS, state, control, logs={"loss": 1.23456})
    bar.on_evaluate(ARGS, state, control, metrics={"eval_loss": 2.0, "eval_accuracy": 0.4567})
    bar.on_train_end(ARGS, state, control)
    shown = buffer.getvalue()
    assert "phase task (sft)" in shown and "2/4" in shown
    assert "loss 1.235" in shown and "val acc 0.457" in shown
