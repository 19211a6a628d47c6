"""Evaluate a saved model on examples: predictions, metrics and the files that keep them."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.data.findings import summarize
from tuneloop.data.ingest import ingest_source
from tuneloop.data.prepare import grouped
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.extraction import extraction_metrics, field_scores, free_sample
from tuneloop.evaluate.field_metrics import field_metrics
from tuneloop.evaluate.generation import generation_metrics
from tuneloop.evaluate.intervals import judged_metrics
from tuneloop.evaluate.metrics import classification_metrics
from tuneloop.evaluate.multilabel_metrics import label_set_metrics
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.scoring_report import predict_by_card, scoring_of, scoring_report, set_scoring_report
from tuneloop.evaluate.slices import overall_intervals, slice_metrics
from tuneloop.evaluate.text_metrics import text_metrics, text_scores
from tuneloop.evaluate.thresholds import decided_at, threshold_report, tune_threshold
from tuneloop.models import load_for_inference
from tuneloop.run_dir import EVAL_METRICS_FILE, PREDICTIONS_FILE
from tuneloop.spec import FORMATS, LABELLED_TASKS, Evaluation, FieldMap, ProjectSpec, Source
from tuneloop.spec.data import CONVERSATION_FORMATS
from tuneloop.spec.training import MONITORED_METRICS
from tuneloop.task_card import TaskCard
from tuneloop.train.monitor import TaskScorer


def evaluate_examples(
    model_dir: str,
    examples: list[Example],
    card: TaskCard,
    evaluation: Evaluation | None = None,
    out_dir: Path | None = None,
    batch_size: int = 64,
    console: Console | None = None,
    loaded: tuple[Any, Any] | None = None,
    seed: int = 0,
    tune: bool = False,
    free_decoding: bool = True,
) -> dict[str, Any]:
    """Score `examples` with the model in `model_dir` (or the already `loaded` model and tokenizer);
    `evaluation` (default: the spec defaults) names the slices, metrics and bootstrap size. A
    multilabel task's sets are decided at the card's threshold, or, with `tune`, at the one tuned
    on these rows (`thresholds.py`; metrics.json keeps the value). A constrained extract task also
    decodes a sample freely (`extraction.free_sample`) unless `free_decoding` is off, as for the
    models a comparison scores only to test against."""
    if card.task not in (*LABELLED_TASKS, "generate", "extract"):
        raise TuneloopError(f"evaluation of {card.task!r} tasks is not supported yet")
    if not examples:
        raise TuneloopError("nothing to evaluate: no readable labelled rows")
    unlabelled = sum(
        not (e.references or e.answer) if card.task == "generate" else e.label is None for e in examples
    )
    if unlabelled:
        wanted = "reference" if card.task == "generate" else "label"
        raise TuneloopError(f"{unlabelled} of {len(examples)} rows have no {wanted} to score against")
    model, tokenizer = loaded or load_for_inference(model_dir)
    predictions = predict_by_card(model, tokenizer, examples, card, batch_size, console)
    scoring, parsing = scoring_of(card)
    evaluation = evaluation or Evaluation.for_task(card.task)
    if card.task in ("generate", "extract"):
        report = _generation_report(model_dir, predictions, card, evaluation, seed)
        if free_decoding and card.task == "extract" and card.decoding == "constrained":
            report["free_decoding"] = free_sample(model, tokenizer, examples, predictions, card, batch_size)
        _write(out_dir, predictions, report)
        return report
    if card.task == "multilabel":
        predictions, metrics = _label_set_metrics(predictions, card, tune)
        metrics |= set_scoring_report(predictions, card, scoring, parsing)
    else:
        metrics = classification_metrics(predictions, card.labels) | scoring_report(
            predictions, scoring, parsing
        )
    report = {
        "model": model_dir,
        **metrics,
        **evaluation_intervals(predictions, card.labels, evaluation, seed),
    }
    _write(out_dir, predictions, report)
    return report


def _generation_report(
    model_dir: str, predictions: list[Prediction], card: TaskCard, evaluation: Evaluation, seed: int
) -> dict[str, Any]:
    """A generate task's metrics.json: the text metrics with intervals, checks, fidelity, samples;
    an extract task's: the field metrics with intervals, per field, invalid outputs, samples; and
    every judged metric per slice."""
    evaluation = evaluation.model_copy(update={"max_new_tokens": card.max_new_tokens})  # as generated
    measured = (
        extraction_metrics(predictions, card.fields, evaluation, seed, card.decoding)
        if card.task == "extract"
        else generation_metrics(predictions, evaluation, seed)
    )
    return {
        "model": model_dir,
        **measured,
        "judged": judged_metrics(evaluation),
        "bootstrap": evaluation.bootstrap,
        "min_slice_size": evaluation.min_slice_size,
        "slices": slice_metrics(predictions, card.labels, evaluation, seed),
    }


def _write(out_dir: Path | None, predictions: list[Prediction], report: dict[str, Any]) -> None:
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        with (out_dir / PREDICTIONS_FILE).open("wb") as fh:
            for p in predictions:
                fh.write(orjson.dumps(p.to_dict()) + b"\n")
        (out_dir / EVAL_METRICS_FILE).write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


def _label_set_metrics(
    predictions: list[Prediction], card: TaskCard, tune: bool
) -> tuple[list[Prediction], dict[str, Any]]:
    """The predictions decided at the card's threshold (or the one tuned on them) and their
    metrics, with the threshold and the precision-recall curve."""
    bounds = (card.min_labels, len(card.labels) if card.max_labels is None else card.max_labels)
    threshold = tune_threshold(predictions, card.labels) if tune else card.threshold
    scored = any(p.label_scores is not None for p in predictions)
    if tune and scored:
        predictions = decided_at(predictions, card.labels, bounds, threshold)
    metrics = label_set_metrics(predictions, card.labels)
    if scored:
        metrics |= threshold_report(
            predictions, card.labels, bounds, threshold, "these rows" if tune else card.threshold_source
        )
    return predictions, metrics


def phase_scorer(spec: ProjectSpec) -> TaskScorer:
    """How a training phase's monitor scores its validation subset: the predictions `tuneloop
    evaluate` makes (the task card's scoring; label sets at the default threshold, since the tuned
    one comes from validation after training) and the task's monitored metrics, without bars."""
    card = TaskCard.from_spec(spec)
    measured = MONITORED_METRICS.get(card.task, ())

    def score(model: Any, tokenizer: Any, examples: list[Example], batch_size: int) -> dict[str, float]:
        predictions = predict_by_card(model, tokenizer, examples, card, batch_size, show_progress=False)
        if card.task == "generate":  # the text metrics of `tuneloop evaluate`, without intervals
            empty = sum(not p.output for p in predictions) / max(len(predictions), 1)
            metrics = {**text_metrics(text_scores(predictions)), "invalid_rate": empty}
        elif card.task == "extract":
            metrics = field_metrics(field_scores(predictions), card.fields)
        elif card.task == "multilabel":
            metrics = label_set_metrics(predictions, card.labels)
        else:
            metrics = classification_metrics(predictions, card.labels)
        return {key: metrics[key] for key in measured}

    return score


def evaluation_intervals(
    predictions: list[Prediction], labels: list[str], evaluation: Evaluation, seed: int
) -> dict[str, Any]:
    """The bootstrap intervals of the overall metrics and every slice, seeded for reproducibility."""
    return {
        "ci": overall_intervals(predictions, labels, evaluation, seed),
        "bootstrap": evaluation.bootstrap,
        "min_slice_size": evaluation.min_slice_size,
        "slices": slice_metrics(predictions, labels, evaluation, seed),
    }


def read_predictions(path: Path) -> list[Prediction]:
    """Predictions written by `evaluate_examples` (keys this version does not know are ignored;
    label sets, JSON lists on disk, read back as tuples)."""
    known = {f.name for f in fields(Prediction)}
    sets = ("gold_labels", "predicted_labels", "answer_labels", "references", "problems")
    rows: list[dict[str, Any]] = [
        orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()
    ]
    for row in rows:
        row.update({k: tuple(row[k]) for k in sets if row.get(k) is not None})
    return [Prediction(**{k: v for k, v in row.items() if k in known}) for row in rows]


def trained_shape(card: TaskCard, data: Path) -> str | None:
    """The row shape the model was trained on (chat, alpaca, sharegpt) for a JSON file, so `--data
    chat.jsonl` reads chat rows; None (the extension decides) for tabular training data or a CSV."""
    json_file = data.suffix.lower() in (".jsonl", ".json", ".ndjson")
    return card.data_format if json_file and card.data_format in CONVERSATION_FORMATS else None


def evaluate_file(
    model_dir: Path,
    data: Path,
    text_field: str | None = None,
    label_field: str | None = None,
    data_format: str | None = None,
    out_dir: Path | None = None,
    batch_size: int = 64,
    console: Console | None = None,
) -> dict[str, Any]:
    """`tuneloop evaluate MODEL_DIR --data FILE`: the task card says how to read and score the file."""
    card = TaskCard.load(model_dir)
    if not data.is_file():
        raise TuneloopError(f"{data}: no such data file")
    fields = FieldMap(text=text_field or card.text_field, label=label_field or card.label_field or "label")
    if data_format is not None and data_format not in FORMATS:
        raise TuneloopError(f"--format {data_format!r}: expected one of {', '.join(FORMATS)}")
    data_format = data_format or trained_shape(card, data)
    try:
        source = Source(path=data, format=data_format, fields=fields)  # type: ignore[arg-type]
    except ValueError as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise TuneloopError(f"{data}: {reason}") from None
    result = grouped(ingest_source(source, card, data.parent), card)  # a generate task: by input
    if not result.examples and result.quarantined:
        first = result.findings[0]
        raise TuneloopError(
            f"{data}: none of the {result.read} rows could be used "
            f"({summarize(result.findings)['by_code']}); first: line {first.line}: {first.message}"
        )
    report = evaluate_examples(str(model_dir), result.examples, card, None, out_dir, batch_size, console)
    report["data"] = {
        "path": str(data),
        "read": result.read,
        "skipped": len(result.quarantined),
        "skipped_reasons": [f.to_dict() for f in result.findings[:20]],
    }
    return report
