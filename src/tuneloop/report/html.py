"""Build `report.html` for a run from what its stages left on disk.

The report reads top-down: the verdict first (status, headline metrics beside the baselines, the
base model and the previous round, the collapse alarm, every gate), then the training curves, the
weakest classes (a multilabel task: the labels worst first, missed and extra labels, the
precision-recall curve, invalid outputs; a generate task: the text metrics, the fidelity table and
sample outputs) and slices, the evaluation in depth, fairness and
annotation, then the data and its findings grouped by code, and the setup last.
It is one static file: plots are embedded PNGs and there is no script, so it opens offline and can
be attached to a ticket. All text from data or spec is escaped by Jinja2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader

from tuneloop.data.version import DatasetVersion
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.compare import read_comparisons
from tuneloop.evaluate.gates import shown_split
from tuneloop.evaluate.run import read_evaluation
from tuneloop.report import plots
from tuneloop.report.annotation import annotation_section
from tuneloop.report.data_quality import data_quality_section
from tuneloop.report.evaluation import evaluation_section
from tuneloop.report.extraction import extraction_section
from tuneloop.report.fairness import fairness_section
from tuneloop.report.generation import generation_section, is_e2e
from tuneloop.report.guideline_hints import guideline_hints_section
from tuneloop.report.label_sets import label_set_section
from tuneloop.report.verdict import verdict_section
from tuneloop.report.weak_spots import worst_classes, worst_slices
from tuneloop.run_dir import (
    REPORT_FILE,
    RUN_FILE,
    RunRecord,
    data_dir,
    eval_dir,
    phase_log,
    read_record,
)
from tuneloop.spec.recorded import run_spec


def render(template: str, **context: Any) -> str:
    """A page of report/templates, autoescaped (text from data or spec never becomes markup); every
    page shares `style.html.j2`."""
    env = Environment(loader=PackageLoader("tuneloop.report", "templates"), autoescape=True)
    return env.get_template(template).render(**context)


def build_report(run_dir: Path) -> Path:
    record = read_record(run_dir)
    if record == RunRecord():
        raise TuneloopError(f"{run_dir}: not a run directory (no {RUN_FILE})")
    html = render("report.html.j2", **_context(run_dir, record))
    path = run_dir / REPORT_FILE
    path.write_text(html, encoding="utf-8")
    return path


def _context(run_dir: Path, record: RunRecord) -> dict[str, Any]:
    spec = run_spec(run_dir)
    data = data_dir(run_dir)
    manifest = DatasetVersion.load(data).manifest if data.is_dir() else None
    evaluation = read_evaluation(run_dir)
    split = shown_split(spec.evaluation, evaluation)
    focus = evaluation.get(split) if split else None
    comparisons = read_comparisons(eval_dir(run_dir, split)) if split else None
    annotation = annotation_section(spec)
    return {
        "run_name": run_dir.name,
        "record": record,
        "spec": spec,
        "verdict": verdict_section(record, split, focus, comparisons, annotation),
        **_training(record),
        "evaluation": evaluation,
        "focus": focus,
        "focus_split": split,
        "worst_classes": worst_classes(focus),
        "worst_slices": worst_slices(focus, spec.evaluation.metrics[0]),
        "recall_plot": plots.per_class_recall(focus["per_class"])
        if focus and focus.get("per_class")
        else None,
        "confusion_plot": plots.confusion_heatmap(focus["confusion"])
        if focus and "confusion" in focus
        else None,
        "label_sets": label_set_section(focus),
        "generation": generation_section(focus, is_e2e(focus)),
        "extraction": extraction_section(focus),
        "evaluation_depth": evaluation_section(run_dir, record, spec, evaluation),
        "fairness": fairness_section(run_dir, spec.evaluation.fairness.max_flip_rate),
        "annotation": annotation,
        "hints": guideline_hints_section(run_dir),
        "manifest": manifest,
        "dq": data_quality_section(data, manifest, record) if manifest else None,
    }


def _training(record: RunRecord) -> dict[str, Any]:
    """The phases as recorded and their loss curves, from each phase's metrics log."""
    phases = []
    for phase in record.phases or []:
        metrics_path = phase_log(Path(phase["model_dir"]))
        records = (
            [orjson.loads(line) for line in metrics_path.read_bytes().splitlines()]
            if metrics_path.is_file()
            else []
        )
        phases.append((phase, records))
    curves = [(f"{p['name']} ({p['kind']})", r, p.get("events", [])) for p, r in phases if r]
    return {"phases": [p for p, _ in phases], "loss_plot": plots.loss_curves(curves) if curves else None}
