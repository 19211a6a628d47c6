"""Send training metrics to MLflow and TensorBoard as they are logged (spec `tracking:`).

`metrics.jsonl` and the report are always written; teams that already watch experiments in MLflow or
TensorBoard see the same numbers there, live:

- MLflow: one MLflow run per tuneloop run, named after its directory, its id kept in run.json so a
  resumed run goes on in the same MLflow run. Metrics are keyed `PHASE/NAME` at the phase's step
  (training loss, learning rate, validation loss and the task metrics the monitor adds), the
  phases' settings are params, and each phase's general-set measurement, gate verdicts and events
  are logged when it ends.
- TensorBoard: event files under RUN_DIR/tensorboard/PHASE, one writer per phase.

Only the main process of a distributed launch tracks. The packages are an optional extra, asked
for only when the spec turns tracking on.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from tuneloop.errors import TuneloopError
from tuneloop.run_dir import TENSORBOARD_DIR
from tuneloop.spec import Phase, ProjectSpec

INSTALL = "pip install 'tuneloop[tracking]'"


def mlflow_uri(spec: ProjectSpec) -> str | None:
    """The spec's MLflow URI; a relative `sqlite:///FILE` is taken relative to the project."""
    uri = spec.tracking.mlflow
    if uri is None or not uri.startswith("sqlite:///") or uri.startswith("sqlite:////"):
        return uri
    return f"sqlite:///{(spec.root / uri.removeprefix('sqlite:///')).resolve()}"


class Tracker:
    """The trackers of one run; `callback(phase)` feeds them while a phase trains."""

    def __init__(self, spec: ProjectSpec, run_dir: Path, mlflow_run_id: str | None = None) -> None:
        self.run_dir = run_dir
        self._client: Any = None
        self.mlflow_run_id: str | None = None
        uri = mlflow_uri(spec)
        if uri is not None:
            self._open_mlflow(uri, spec.tracking.experiment or spec.objective.name, mlflow_run_id)
        self._tensorboard = spec.tracking.tensorboard
        self._writer: Any = None
        if self._tensorboard:
            _require("torch.utils.tensorboard", "tensorboard")

    def _open_mlflow(self, uri: str, experiment: str, run_id: str | None) -> None:
        client_type: Any = _require("mlflow.tracking", "mlflow-skinny").MlflowClient
        self._client = client_type(tracking_uri=uri)
        if run_id is not None:
            self.mlflow_run_id = run_id
            return
        found = self._client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else self._client.create_experiment(experiment)
        self.mlflow_run_id = self._client.create_run(experiment_id, run_name=self.run_dir.name).info.run_id

    def start_phase(self, phase: Phase) -> TrainerCallback:
        if self._client is not None:
            settings = phase.model_dump(mode="json", exclude_none=True)
            self._client.log_batch(
                self.mlflow_run_id,
                params=[_param(f"{phase.name}.{key}", value) for key, value in settings.items()],
            )
        if self._tensorboard:
            writer_type: Any = _require("torch.utils.tensorboard", "tensorboard").SummaryWriter
            self._writer = writer_type(log_dir=str(self.run_dir / TENSORBOARD_DIR / phase.name))
        return _Forward(self, phase.name)

    def log(self, phase: str, values: dict[str, Any], step: int) -> None:
        numbers = {k: float(v) for k, v in values.items() if isinstance(v, int | float) and k != "step"}
        if self._client is not None and numbers:
            from mlflow.entities import Metric

            now = int(time.time() * 1000)
            self._client.log_batch(
                self.mlflow_run_id, metrics=[Metric(f"{phase}/{k}", v, now, step) for k, v in numbers.items()]
            )
        if self._writer is not None:
            for key, value in numbers.items():
                self._writer.add_scalar(key, value, step)

    def end_phase(self, result: dict[str, Any]) -> None:
        """The general-set measurement, gate verdicts and events of a finished phase."""
        general = {f"general_{k}": v for k, v in (result.get("general") or {}).items()}
        self.log(result["name"], general, result["steps"])
        if self._client is not None:
            for number, verdict in enumerate(result["gates"], start=1):  # a key allows no ">="
                outcome = "passed" if verdict["passed"] else "failed"
                value = f"{verdict['gate']}: {outcome} (got {verdict['actual']})"
                self._client.set_tag(self.mlflow_run_id, f"{result['name']}.gate.{number}", value)
            for event in result["events"]:
                key = f"{result['name']}.event.{event['step']}.{event['kind']}"
                self._client.set_tag(self.mlflow_run_id, key, event["message"])
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self, status: str) -> None:
        """FINISHED, FAILED or KILLED, as MLflow names a run's end."""
        if self._client is not None:
            self._client.set_terminated(self.mlflow_run_id, status)


class _Forward(TrainerCallback):
    """Training logs as the trainer writes them; evaluations after the monitor added its metrics
    (this callback is placed after it)."""

    def __init__(self, tracker: Tracker, phase: str) -> None:
        self.tracker, self.phase = tracker, phase

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        train = {k: v for k, v in (logs or {}).items() if not k.startswith("eval_")}
        self.tracker.log(self.phase, train, state.global_step)

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.tracker.log(self.phase, metrics or {}, state.global_step)


def _param(key: str, value: Any) -> Any:
    from mlflow.entities import Param

    return Param(key, str(value)[:500])


def _require(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise TuneloopError(f"tracking needs {package}: {INSTALL}") from None
