"""One round of the loop, stage by stage: data → base model → phases → evaluation → report.

Each stage writes into the run directory and records itself in `run.json`, so `tuneloop train`,
`tuneloop evaluate --run` and `tuneloop report` can also be run one at a time:

    <output_dir>/base-model/FINGERPRINT/     a built tiny model, one per set of inputs, shared by runs
    <output_dir>/run-NNN/tuneloop.yaml       the spec as it was for this run
    <output_dir>/run-NNN/data/               the DatasetVersion (Parquet splits, manifest, quarantine)
    <output_dir>/run-NNN/phases/K-NAME/      model/ and metrics.jsonl of phase K
    <output_dir>/run-NNN/eval/SPLIT/         predictions.jsonl and metrics.json of the final model
    <output_dir>/run-NNN/eval/SPLIT/compare/NAME/   the same for a compared model (gated split only)
    <output_dir>/run-NNN/eval/SPLIT/comparisons.json   paired tests against those models
    <output_dir>/run-NNN/MODEL_CARD.md       what the model is, how it was made, how good, its limits
    <output_dir>/run-NNN/run.json            what happened, for the report and for people
    <output_dir>/run-NNN/report.html         the report
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.data.policy import data_gate
from tuneloop.data.prepare import prepare_dataset, read_and_split
from tuneloop.data.version import DatasetVersion
from tuneloop.distributed import agree, is_main, main_first
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.compare import compare_models, comparison_targets, read_comparisons
from tuneloop.evaluate.fairness.assessment import fairness_report, read_fairness, write_fairness
from tuneloop.evaluate.fairness.gates import fairness_verdicts
from tuneloop.evaluate.gates import evaluation_verdicts
from tuneloop.evaluate.runner import (
    METRICS_FILE,
    PREDICTIONS_FILE,
    evaluate_examples,
    load_for_evaluation,
    read_predictions,
)
from tuneloop.evaluate.verdicts import GateVerdict
from tuneloop.spec import SPEC_FILE, ProjectSpec
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import (
    BUILD_INFO,
    build_fingerprint,
    build_tiny_model,
    built_model_dir,
    user_base_model,
)
from tuneloop.train.phases import GateFailed, PhaseResult, run_phases
from tuneloop.train.tracking import Tracker

RUN_FILE = "run.json"
EVAL_SPLITS = ("validation", "test")


def new_run_dir(spec: ProjectSpec) -> Path:
    base = spec.output_path
    base.mkdir(parents=True, exist_ok=True)
    taken = [int(m.group(1)) for p in base.iterdir() if (m := re.fullmatch(r"run-(\d+)", p.name))]
    run_dir = base / f"run-{max(taken, default=0) + 1:03d}"
    run_dir.mkdir()
    shutil.copyfile(spec.path or spec.root / SPEC_FILE, run_dir / SPEC_FILE)
    return run_dir


def read_run(run_dir: Path) -> dict[str, Any]:
    path = run_dir / RUN_FILE
    return orjson.loads(path.read_bytes()) if path.is_file() else {}


def run_spec(run_dir: Path) -> ProjectSpec:
    """The spec a run was trained with, as recorded (its relative paths are not re-checked)."""
    record = read_run(run_dir)
    if "spec" not in record:
        raise TuneloopError(f"{run_dir}: not a run directory (no spec in {RUN_FILE})")
    spec = ProjectSpec.model_validate(record["spec"])
    spec.root = Path(record.get("project", spec.root))
    return spec


def resolve_model_dir(path: Path) -> Path:
    """A model directory as given, or the final model of a run directory."""
    record = read_run(path)
    return Path(record["final_model"]) if "final_model" in record else path


def update_run(run_dir: Path, **sections: Any) -> dict[str, Any]:
    """Add `sections` to run.json; under `accelerate launch` only the main process touches it.

    Written to a temporary file and renamed, so a reader (or a kill) never sees half a record."""
    if not is_main():
        return dict(sections)
    record = read_run(run_dir) | sections
    partial = run_dir / f"{RUN_FILE}.partial"
    partial.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))
    partial.replace(run_dir / RUN_FILE)
    return record


def base_model_corpus(spec: ProjectSpec, parts: dict[str, list[Example]]) -> list[str]:
    """The text the tiny tokenizer learns from: the prompt, the training inputs, the unlabeled text."""
    return [
        spec.prompt.system or "",
        *(e.text for e in parts["train"]),
        *(e.text for e in parts["unlabeled"]),
    ]


def ensure_base_model(
    spec: ProjectSpec, parts: dict[str, list[Example]] | None = None, force: bool = False
) -> tuple[str, bool]:
    """The base model's path or hub id, and whether it was built by this call.

    A `build: tiny` model lives under its fingerprint (sizes, corpus, labels, seed): a changed label
    set never meets a stale tokenizer, and an earlier run's base model is never overwritten.
    """
    if spec.model.build != "tiny":
        return user_base_model(spec), False
    if parts is None:
        parts = read_and_split(spec)[1]
    corpus = base_model_corpus(spec, parts)
    labels = spec.label_names if spec.objective.task == "classify" else []
    out_dir = built_model_dir(spec, build_fingerprint(spec.model.tiny, corpus, labels, spec.seed))
    if (out_dir / BUILD_INFO).is_file() and not force:
        return str(out_dir), False
    if out_dir.exists():
        shutil.rmtree(out_dir)
    build_tiny_model(spec.model.tiny, corpus, out_dir, labels, spec.seed)
    return str(out_dir), True


def _guidelines_version(spec: ProjectSpec) -> dict[str, str] | None:
    """Which guidelines the labels were made under: the file and a hash of its text."""
    if spec.guidelines is None:
        return None
    digest = hashlib.sha256(spec.guidelines.read_bytes()).hexdigest()[:12]
    return {"path": str(spec.guidelines), "sha256": digest}


def start_run(spec: ProjectSpec, console: Console) -> Path:
    """A new run directory, with the spec and guidelines it runs under recorded (one directory for
    all the processes of a distributed launch: the main process makes it)."""
    run_dir = agree(new_run_dir(spec) if is_main() else None)
    assert run_dir is not None
    update_run(
        run_dir,
        project=str(spec.root),
        spec=spec.model_dump(mode="json"),
        guidelines=_guidelines_version(spec),
        status="preparing data",
    )
    console.print(f"[bold]run[/] {run_dir}")
    return run_dir


def train_run(spec: ProjectSpec, run_dir: Path, console: Console) -> None:
    """Prepare the data, make sure the base model exists, and train every phase into `run_dir`."""
    with failure_recorded(run_dir):
        _train(spec, run_dir, console)


@contextmanager
def failure_recorded(run_dir: Path) -> Iterator[None]:
    """A stage that stops leaves the reason in run.json, not a status that looks in progress."""
    try:
        yield
    except KeyboardInterrupt:
        update_run(run_dir, status="interrupted")
        raise
    except GateFailed as exc:
        update_run(run_dir, status=f"stopped: {exc}")
        raise
    except Exception as exc:
        update_run(run_dir, status=f"failed: {str(exc).splitlines()[0]}")
        raise


def _train(spec: ProjectSpec, run_dir: Path, console: Console) -> None:
    began = time.perf_counter()
    with main_first():  # the main process writes the dataset version, the others read it
        dataset = (
            prepare_dataset(spec, run_dir / "data") if is_main() else DatasetVersion.load(run_dir / "data")
        )
    counts = dataset.manifest["counts"]
    console.print(
        f"data: read {counts['read']}, kept {counts['kept']}, quarantined {counts['quarantined']} "
        f"→ train {counts['splits']['train']} / validation {counts['splits']['validation']} "
        f"/ test {counts['splits']['test']}"
        + (f", unlabeled text {counts['splits']['unlabeled']}" if counts["splits"]["unlabeled"] else "")
    )
    update_run(run_dir, data_gate=data_gate(spec, dataset))  # refuses too many error rows (exit 1)
    parts = _phase_parts(dataset)
    if not parts["train"]:
        raise TuneloopError("no usable training rows: every row was quarantined (run `tuneloop check`)")
    with main_first():  # built once; the other processes find it built
        base, _ = ensure_base_model(spec, parts)
    update_run(
        run_dir, dataset={"path": str(dataset.path), "hash": dataset.hash}, base_model=base, status="training"
    )
    _train_phases(spec, run_dir, parts, base, console, began, done=None)


def resume_run(run_dir: Path, console: Console) -> None:
    """Go on with an interrupted run: finished phases are kept, the interrupted one continues from
    its latest checkpoint, and the spec and data are the ones the run started with."""
    record = read_run(run_dir)
    spec = run_spec(run_dir)
    if "final_model" in record:
        raise TuneloopError(f"{run_dir}: nothing to resume, the run finished training")
    if "base_model" not in record:
        raise TuneloopError(f"{run_dir}: the run stopped before training began; start a new run")
    console.print(f"[bold]resume[/] {run_dir} (status was: {record.get('status')})")
    update_run(run_dir, status="training")
    with failure_recorded(run_dir):
        done = [PhaseResult(**p) for p in record.get("phases", [])]
        parts = _phase_parts(DatasetVersion.load(run_dir / "data"))
        _train_phases(spec, run_dir, parts, record["base_model"], console, time.perf_counter(), done=done)


def latest_unfinished_run(spec: ProjectSpec) -> Path:
    runs = sorted(spec.output_path.glob("run-*"), key=lambda p: p.name)
    for run_dir in reversed(runs):
        if "final_model" not in read_run(run_dir):
            return run_dir
    raise TuneloopError(f"{spec.output_path}: no unfinished run to resume")


def _phase_parts(dataset: DatasetVersion) -> dict[str, list[Example]]:
    return {name: dataset.split(name) for name in ("train", "validation", "unlabeled", "general")}


def _train_phases(
    spec: ProjectSpec,
    run_dir: Path,
    parts: dict[str, list[Example]],
    base: str,
    console: Console,
    began: float,
    done: list[PhaseResult] | None,
) -> None:
    tracker = _tracker(spec, run_dir)
    try:
        phases = run_phases(
            spec,
            parts,
            base,
            run_dir,
            console,
            record=lambda finished: update_run(run_dir, phases=[p.to_dict() for p in finished]),
            done=done,
            tracker=tracker,
        )
    except BaseException as exc:
        if tracker:
            tracker.close("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    if tracker:
        tracker.close("FINISHED")
    update_run(
        run_dir,
        final_model=phases[-1].model_dir,
        train_seconds=round(read_run(run_dir).get("train_seconds", 0) + time.perf_counter() - began, 1),
        status="trained",
    )


def _tracker(spec: ProjectSpec, run_dir: Path) -> Tracker | None:
    """MLflow / TensorBoard for this run when the spec asks (main process only); a resumed run goes
    on in the MLflow run it started."""
    if not is_main() or (spec.tracking.mlflow is None and not spec.tracking.tensorboard):
        return None
    tracker = Tracker(spec, run_dir, read_run(run_dir).get("mlflow_run_id"))
    if tracker.mlflow_run_id:
        update_run(run_dir, mlflow_run_id=tracker.mlflow_run_id)
    return tracker


def evaluate_run(
    run_dir: Path,
    console: Console,
    splits: tuple[str, ...] = EVAL_SPLITS,
    model_dir: Path | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    """Evaluate a model on a run's splits: by default the final model, recorded in the run.

    With `model_dir` (an earlier phase, another round's model) the results are returned and,
    with `out_dir`, written there; the run's own record is left as it is.
    """
    spec, record = run_spec(run_dir), read_run(run_dir)
    if "final_model" not in record:
        raise TuneloopError(f"{run_dir}: the run has no trained model yet (status: {record.get('status')})")
    own = model_dir is None
    if spec.objective.task != "classify":
        task = spec.objective.task
        console.print(f"evaluation of {task!r} tasks is not supported yet; the model is trained")
        if own:
            update_run(run_dir, evaluation={}, status="trained, not evaluated")
        return {}
    dataset = DatasetVersion.load(run_dir / "data")
    model = record["final_model"] if own else str(model_dir)
    target = run_dir / "eval" if own else out_dir
    card, loaded = TaskCard.from_spec(spec), load_for_evaluation(model)
    results = {}
    for split in splits:
        examples = dataset.split(split)
        if examples:
            results[split] = evaluate_examples(
                model,
                examples,
                card,
                spec.evaluation,
                target / split if target else None,
                spec.evaluation.batch_size,
                console,
                loaded,
                seed=spec.seed,
            )
    if own:
        chosen = spec.evaluation.metrics
        recorded = read_run(run_dir).get("evaluation", {}) | {
            s: headline(m, chosen) for s, m in results.items()
        }
        update_run(run_dir, evaluation=recorded, status="evaluated")
        gated = spec.evaluation.gate_split
        if gated in results:
            compare_run(run_dir, spec, dataset.split(gated), console)
            assess_fairness(run_dir, spec, dataset, loaded, console)
        verdicts = run_verdicts(run_dir)
        update_run(run_dir, evaluation_gates=[v.to_dict() for v in verdicts])
    return results


def compare_run(run_dir: Path, spec: ProjectSpec, examples: list[Example], console: Console) -> None:
    """The run's final model against the base model, each earlier phase and the previous round,
    all re-scored on the gated split (results in eval/SPLIT/comparisons.json)."""
    record, split_dir = read_run(run_dir), run_dir / "eval" / spec.evaluation.gate_split
    targets = comparison_targets(record["base_model"], record.get("phases", []), previous_round(run_dir))
    current = read_predictions(split_dir / PREDICTIONS_FILE)
    card = TaskCard.from_spec(spec)
    compare_models(targets, examples, card, spec.evaluation, current, split_dir, spec.seed, console)


def previous_round(run_dir: Path) -> tuple[str, str] | None:
    """The latest earlier run (by number) in the same output directory whose final model is on disk."""
    own = int(run_dir.name.removeprefix("run-")) if re.fullmatch(r"run-\d+", run_dir.name) else None
    earlier = [
        (int(m.group(1)), p)
        for p in run_dir.parent.iterdir()
        if (m := re.fullmatch(r"run-(\d+)", p.name)) and (own is None or int(m.group(1)) < own)
    ]
    for _, path in sorted(earlier, reverse=True):
        model = read_run(path).get("final_model")
        if model and Path(model).is_dir():
            return path.name, model
    return None


def assess_fairness(
    run_dir: Path, spec: ProjectSpec, dataset: DatasetVersion, loaded: tuple[Any, Any], console: Console
) -> None:
    """Counterfactual swaps, group metrics and training-data skew on the gated split, from the
    final model's predictions just written (eval/SPLIT/fairness.json)."""
    split_dir = run_dir / "eval" / spec.evaluation.gate_split
    model, tokenizer = loaded
    result = fairness_report(
        model,
        tokenizer,
        TaskCard.from_spec(spec),
        dataset.split(spec.evaluation.gate_split),
        dataset.split("train"),
        spec.evaluation,
        console,
        read_predictions(split_dir / PREDICTIONS_FILE),
    )
    write_fairness(split_dir, result)


def run_verdicts(run_dir: Path) -> list[GateVerdict]:
    """The evaluation and fairness gates of the run's spec, judged on what the evaluation left on
    disk (a split never assessed for fairness has no fairness verdicts)."""
    spec = run_spec(run_dir)
    split_dir = run_dir / "eval" / spec.evaluation.gate_split
    verdicts = evaluation_verdicts(read_evaluation(run_dir), read_comparisons(split_dir), spec.evaluation)
    fairness = read_fairness(split_dir)
    if fairness is not None:
        verdicts += fairness_verdicts(fairness, spec.evaluation.fairness)
    return verdicts


def headline(metrics: dict[str, Any], chosen: Sequence[str]) -> dict[str, Any]:
    """The numbers people look at first: the size, the spec's `evaluation.metrics`, the invalid rate."""
    return {"n": metrics["n"], **{k: metrics[k] for k in chosen}, "invalid_rate": metrics["invalid_rate"]}


def read_evaluation(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The full metrics of each evaluated split (per class, confusion, slices)."""
    return {
        split: orjson.loads(path.read_bytes())
        for split in EVAL_SPLITS
        if (path := run_dir / "eval" / split / METRICS_FILE).is_file()
    }
