"""One round of the loop, stage by stage: data → base model → phases → evaluation → report.

Each stage writes into the run directory and records itself in `run.json`, so `tuneloop train`,
`tuneloop evaluate --run` and `tuneloop report` can also be run one at a time:

    <output_dir>/base-model/                 the built tiny model (shared by runs; rebuilt if sizes change)
    <output_dir>/run-NNN/tuneloop.yaml       the spec as it was for this run
    <output_dir>/run-NNN/data/               the DatasetVersion (Parquet splits, manifest, quarantine)
    <output_dir>/run-NNN/phases/K-NAME/      model/ and metrics.jsonl of phase K
    <output_dir>/run-NNN/eval/SPLIT/         predictions.jsonl and metrics.json of the final model
    <output_dir>/run-NNN/run.json            what happened, for the report and for people
    <output_dir>/run-NNN/report.html         the report
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from tuneloop.data.prepare import prepare_dataset, read_and_split
from tuneloop.data.version import DatasetVersion
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.runner import METRICS_FILE, evaluate_examples
from tuneloop.spec import SPEC_FILE, ProjectSpec
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import BUILD_INFO, base_model_dir, build_tiny_model, resolve_base_model
from tuneloop.train.phases import run_phases

RUN_FILE = "run.json"
EVAL_SPLITS = ("validation", "test")
HEADLINE = ("n", "accuracy", "macro_f1", "macro_recall", "macro_precision", "invalid_rate")


def new_run_dir(spec: ProjectSpec) -> Path:
    base = spec.output_path
    base.mkdir(parents=True, exist_ok=True)
    taken = [int(m.group(1)) for p in base.iterdir() if (m := re.fullmatch(r"run-(\d+)", p.name))]
    run_dir = base / f"run-{max(taken, default=0) + 1:03d}"
    run_dir.mkdir()
    shutil.copyfile(spec.root / SPEC_FILE, run_dir / SPEC_FILE)
    return run_dir


def read_run(run_dir: Path) -> dict[str, Any]:
    path = run_dir / RUN_FILE
    return orjson.loads(path.read_bytes()) if path.is_file() else {}


def run_spec(run_dir: Path) -> ProjectSpec:
    """The spec a run was trained with, as recorded (its relative paths are not re-checked)."""
    record = read_run(run_dir)
    if "spec" not in record:
        raise TuneloopError(f"{run_dir}: not a run directory (no spec in {RUN_FILE})")
    return ProjectSpec.model_validate(record["spec"])


def resolve_model_dir(path: Path) -> Path:
    """A model directory as given, or the final model of a run directory."""
    record = read_run(path)
    return Path(record["final_model"]) if "final_model" in record else path


def update_run(run_dir: Path, **sections: Any) -> dict[str, Any]:
    record = read_run(run_dir) | sections
    (run_dir / RUN_FILE).write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))
    return record


def ensure_base_model(spec: ProjectSpec, train_texts: list[str] | None = None, force: bool = False) -> str:
    """Build the tiny model when the spec asks for one and it is missing or out of date."""
    if spec.model.build != "tiny":
        return resolve_base_model(spec)
    out_dir = base_model_dir(spec)
    info_path = out_dir / BUILD_INFO
    current = (
        info_path.is_file() and orjson.loads(info_path.read_bytes())["sizes"] == spec.model.tiny.model_dump()
    )
    if force or not current:
        if train_texts is None:
            train_texts = [e.text for e in read_and_split(spec)[1]["train"]]
        corpus = [spec.prompt.system or "", *train_texts]
        labels = spec.label_names if spec.objective.task == "classify" else None
        if out_dir.exists():
            shutil.rmtree(out_dir)
        build_tiny_model(spec.model.tiny, corpus, out_dir, labels, spec.seed)
    return str(out_dir)


def train_run(spec: ProjectSpec, console: Console) -> Path:
    """Prepare the data, make sure the base model exists, and train every phase."""
    run_dir = new_run_dir(spec)
    began = time.perf_counter()
    update_run(run_dir, spec=spec.model_dump(mode="json"), status="preparing data")
    console.print(f"[bold]run[/] {run_dir}")
    dataset = prepare_dataset(spec, run_dir / "data")
    counts = dataset.manifest["counts"]
    console.print(
        f"data: read {counts['read']}, kept {counts['kept']}, quarantined {counts['quarantined']} "
        f"→ train {counts['splits']['train']} / validation {counts['splits']['validation']} "
        f"/ test {counts['splits']['test']}"
    )
    train = dataset.split("train")
    base = ensure_base_model(spec, [e.text for e in train])
    update_run(
        run_dir, dataset={"path": str(dataset.path), "hash": dataset.hash}, base_model=base, status="training"
    )
    phases = run_phases(spec, train, base, run_dir, console)
    update_run(
        run_dir,
        phases=[p.to_dict() for p in phases],
        final_model=phases[-1].model_dir,
        train_seconds=round(time.perf_counter() - began, 1),
        status="trained",
    )
    return run_dir


def evaluate_run(run_dir: Path, console: Console) -> dict[str, Any]:
    """Evaluate the run's final model on the validation and test splits."""
    spec, record = run_spec(run_dir), read_run(run_dir)
    if "final_model" not in record:
        raise TuneloopError(f"{run_dir}: the run has no trained model yet (status: {record.get('status')})")
    dataset = DatasetVersion.load(run_dir / "data")
    if spec.objective.task != "classify":
        console.print(
            f"evaluation of {spec.objective.task!r} tasks is not supported yet; the model is trained"
        )
        update_run(run_dir, evaluation={}, status="trained, not evaluated")
        return {}
    card = TaskCard.from_spec(spec)
    results = {}
    for split in EVAL_SPLITS:
        examples = dataset.split(split)
        if examples:
            results[split] = evaluate_examples(
                record["final_model"],
                examples,
                card,
                spec.evaluation.slices,
                run_dir / "eval" / split,
                spec.evaluation.batch_size,
                console,
            )
    headline = {split: {k: m[k] for k in HEADLINE} for split, m in results.items()}
    update_run(run_dir, evaluation=headline, status="evaluated")
    return results


def read_evaluation(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The full metrics of each evaluated split (per class, confusion, slices)."""
    return {
        split: orjson.loads(path.read_bytes())
        for split in EVAL_SPLITS
        if (path := run_dir / "eval" / split / METRICS_FILE).is_file()
    }
