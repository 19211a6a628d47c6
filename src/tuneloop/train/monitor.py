"""Watch a phase learn: task metrics on a fixed validation subset, early stopping, overfitting alarms.

Every `eval_every` steps the trainer computes the validation loss; `PhaseMonitor` then scores the
same subset with the evaluator `tuneloop evaluate` uses (the spec's `evaluation.scoring`: label
log-likelihoods by default, or generated answers mapped to labels; label sets by presence scores
at the default threshold) and puts the task's metrics (`spec.training.MONITORED_METRICS`: accuracy,
macro-F1, ... for one label; micro-F1, exact set, Hamming loss, ... for label sets) into the
trainer's metrics, so the best checkpoint is chosen by the task metric, not by loss. It also
raises two alarms, recorded as events: validation loss rising while training loss falls, and the
watched metric falling for several evaluations in a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from tuneloop.data.example import Example
from tuneloop.spec import Phase, higher_is_better

#: Scores a model on examples as `tuneloop evaluate` would: (model, tokenizer, examples, batch size)
#: → each of the task's MONITORED_METRICS. The evaluate stage makes it (`evaluate.runner.phase_scorer`)
#: and the round hands it down, so training never imports the later stage.
TaskScorer = Callable[[Any, Any, list[Example], int], dict[str, float]]
RISES_IN_A_ROW = 2  # validation-loss rises (with training loss falling) that make an overfitting alarm


@dataclass(frozen=True)
class Event:
    step: int
    kind: str  # "overfitting", "metric_falling", "early_stop"
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PhaseMonitor(TrainerCallback):
    """Scores each evaluation of a phase by `score` (an sft phase; a causal_lm phase has only its
    loss) and keeps the records, events and the best evaluation."""

    def __init__(
        self, phase: Phase, task: str, examples: list[Example], tokenizer: Any, score: TaskScorer | None
    ) -> None:
        if phase.kind == "sft" and phase.eval_every and score is None:
            raise ValueError(f"phase {phase.name!r} is monitored: it needs a task scorer")
        self.phase = phase
        self.metric = phase.selection_metric(task)
        self.examples = examples
        self.tokenizer = tokenizer
        self.score = score
        self.records: list[dict[str, Any]] = []
        self.events: list[Event] = []
        self._train_loss: float | None = None
        self._since_best = 0
        self._best: float | None = None
        self._replayed = False

    @property
    def best(self) -> dict[str, Any] | None:
        """The evaluation whose checkpoint the phase keeps."""
        metric = self.metric
        scored = [r for r in self.records if r.get(metric) is not None]
        if not scored:
            return None
        pick = max if higher_is_better(metric) else min
        return pick(scored, key=lambda r: r[metric])

    def on_step_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        """A resumed phase starts from its checkpoint's state (loaded after `on_train_begin`):
        replay the evaluations it holds once, so alarms, early stopping and the metrics file go on."""
        if self._replayed:
            return
        self._replayed = True
        for record in [dict(e) for e in state.log_history if e.get("kind") == "eval"]:
            self.records.append(record)
            self._alarms(record)
            self._early_stop(record, TrainerControl())

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if logs and "loss" in logs:
            self._train_loss = float(logs["loss"])

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: dict[str, float] | None = None,
        model: Any = None,
        **kwargs: Any,
    ) -> TrainerControl:
        metrics = metrics if metrics is not None else {}
        record: dict[str, Any] = {
            "kind": "eval",
            "step": state.global_step,
            "train_loss": self._train_loss,
            "loss": metrics.get("eval_loss"),
        }
        if self.phase.kind == "sft" and model is not None and self.score is not None:
            scores = self.score(model, self.tokenizer, self.examples, self.phase.batch_size)
            for key, value in scores.items():
                record[key] = value
                metrics[f"eval_{key}"] = value  # the trainer picks the best checkpoint by these
        self.records.append(record)
        state.log_history.append(dict(record))  # saved with each checkpoint, so a resume keeps it
        self._alarms(record)
        self._early_stop(record, control)
        return control

    def _alarms(self, record: dict[str, Any]) -> None:
        recent = self.records[-(RISES_IN_A_ROW + 1) :]
        if len(recent) == RISES_IN_A_ROW + 1 and all(
            _rose(a, b, "loss") and _rose(b, a, "train_loss") for a, b in pairwise(recent)
        ):
            message = f"validation loss rose {RISES_IN_A_ROW} evaluations in a row while training loss fell"
            self._event(record["step"], "overfitting", message)
        metric = self.metric
        window = self.phase.early_stopping.patience if self.phase.early_stopping else RISES_IN_A_ROW
        recent = self.records[-(window + 1) :]
        lower = not higher_is_better(metric)
        if len(recent) == window + 1 and all(
            _rose(a, b, metric) if lower else _rose(b, a, metric) for a, b in pairwise(recent)
        ):
            self._event(
                record["step"],
                "metric_falling",
                f"validation {metric} got worse {window} evaluations in a row",
            )

    def _early_stop(self, record: dict[str, Any], control: TrainerControl) -> None:
        rule = self.phase.early_stopping
        if rule is None or record.get(self.metric) is None:
            return
        value = float(record[self.metric])
        sign = 1 if higher_is_better(self.metric) else -1
        gain = float("inf") if self._best is None else sign * (value - self._best)
        if gain > rule.min_delta:
            self._best, self._since_best = value, 0
            return
        self._since_best += 1
        if self._since_best >= rule.patience:
            control.should_training_stop = True
            self._event(
                record["step"],
                "early_stop",
                f"validation {self.metric} has not improved for {rule.patience} evaluations",
            )

    def _event(self, step: int, kind: str, message: str) -> None:
        if not any(e.step == step and e.kind == kind for e in self.events):
            self.events.append(Event(step, kind, message))


def _rose(before: dict[str, Any], after: dict[str, Any], key: str) -> bool:
    return before.get(key) is not None and after.get(key) is not None and after[key] > before[key]
