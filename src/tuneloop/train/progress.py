"""A rich progress bar for Hugging Face trainers: step, latest loss, latest validation result, rate.

It writes to stderr, so a command's `--json` output on stdout stays one clean object.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments


class RichProgress(TrainerCallback):
    def __init__(self, description: str, console: Console | None = None) -> None:
        self.description = description
        console = console or Console(stderr=True)
        # In a log file there is no live bar, only its last state: give it room to be read whole.
        self.console = console if console.is_terminal else Console(file=console.file, width=160)
        self._progress: Progress | None = None
        self._task: Any = None

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[watch]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
        )
        self._progress.start()
        self._task = self._progress.add_task(
            self.description, total=state.max_steps, loss="-", rate="", watch=""
        )

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self._progress is not None:
            task = self._progress.tasks[0]
            rate = f"{task.speed:.2f} step/s" if task.speed else ""
            self._progress.update(self._task, completed=state.global_step, rate=rate)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if self._progress is not None and logs and "loss" in logs:
            self._progress.update(self._task, loss=f"{float(logs['loss']):.3f}")

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        """The latest validation result, next to the loss: the task metric when there is one."""
        if self._progress is None or not metrics:
            return
        if "eval_accuracy" in metrics:
            self._progress.update(self._task, watch=f"val acc {metrics['eval_accuracy']:.3f}")
        elif "eval_loss" in metrics:
            self._progress.update(self._task, watch=f"val loss {metrics['eval_loss']:.3f}")

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
