"""A trained model as the suggester of `tuneloop assist suggest`: label probabilities by
log-likelihood scoring (`predict_by_card`), calibrated on the run's validation predictions.

The assist stage never loads a model (it comes before model loading in the pipeline): this module
builds its `ProbabilitySource` from a run and hands it down. The held-out rows are the run's
`eval/validation/predictions.jsonl` when the round evaluated validation, else the run's validation
split scored now. One label: each label's softmaxed log-likelihood (`probabilities`). Label sets:
each label's presence score (`label_scores`). A card that generates instead of scoring gives no
probabilities, and is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tuneloop.assist.suggestions import ProbabilitySource
from tuneloop.data.example import Example, build_messages
from tuneloop.data.version import DatasetVersion
from tuneloop.errors import TuneloopError
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.runner import read_predictions
from tuneloop.evaluate.scoring_report import predict_by_card
from tuneloop.models import load_for_inference
from tuneloop.run_dir import PREDICTIONS_FILE, RUN_FILE, data_dir, eval_dir, read_record, runs_in
from tuneloop.task_card import TaskCard

AGENT = "model-loglik"


def latest_run(output_dir: Path) -> Path | None:
    """The newest run whose final model is on disk: the latest round's model."""
    for run in reversed(runs_in(output_dir)):
        model = read_record(run).final_model
        if model and Path(model).is_dir():
            return run
    return None


def run_of(path: Path, output_dir: Path) -> tuple[Path, Path]:
    """(run directory, model directory) of a run, or of a model that is some run's final model."""
    if (path / RUN_FILE).is_file():
        model = read_record(path).final_model
        if not model or not Path(model).is_dir():
            raise TuneloopError(f"{path}: the run has no final model on disk to suggest with")
        return path, Path(model)
    for run in runs_in(output_dir):
        model = read_record(run).final_model
        if model and Path(model).resolve() == path.resolve():
            return run, path
    raise TuneloopError(
        f"{path}: not a run directory nor the final model of a run under {output_dir}; "
        "suggestions are calibrated on a run's validation predictions, so name the run"
    )


def model_source(path: Path, output_dir: Path, batch_size: int = 64) -> ProbabilitySource:
    """The model of run (or final model) `path` as a suggester, calibrated on validation."""
    run, model_dir = run_of(path, output_dir)
    card = TaskCard.load(model_dir)
    if card.task not in ("classify", "multilabel"):
        raise TuneloopError(f"{model_dir}: a {card.task!r} model gives no label suggestions")
    if card.scoring != "loglik":
        raise TuneloopError(
            f"{model_dir}: the card scores by {card.scoring!r}; suggestions need label probabilities "
            "(evaluation.scoring: loglik)"
        )
    loaded: list[Any] = []

    def predict(examples: list[Example]) -> list[Prediction]:
        if not loaded:
            loaded.extend(load_for_inference(str(model_dir)))
        return predict_by_card(loaded[0], loaded[1], examples, card, batch_size)

    saved = eval_dir(run, "validation") / PREDICTIONS_FILE
    validation = (
        read_predictions(saved)
        if saved.is_file()
        else predict(DatasetVersion.load(data_dir(run)).split("validation"))
    )
    held_out, targets = held_out_rows(validation, card)
    return ProbabilitySource(
        agent=AGENT,
        model_version=f"{run.name}:{model_dir}",
        classes=list(card.labels),
        multilabel=card.task == "multilabel",
        held_out=held_out,
        held_out_targets=targets,
        held_out_source=f"{run.name} validation predictions ({len(held_out)} rows)",
        score=lambda texts: probabilities(predict([_example(card, t) for t in texts]), card),
        trained_on=f"{run.name}'s training data",
    )


def _example(card: TaskCard, text: str) -> Example:
    return Example(build_messages(text, None, card.system), None, "annotation store")


def probabilities(predictions: list[Prediction], card: TaskCard) -> np.ndarray:
    """One row per prediction, one column per card label."""
    rows = []
    for p in predictions:
        scores = p.label_scores if card.task == "multilabel" else p.probabilities
        if scores is None:
            raise TuneloopError(f"prediction {p.id}: no label probabilities (scored by generation?)")
        rows.append([float(scores.get(label, 0.0)) for label in card.labels])
    return np.array(rows, dtype=float).reshape(len(rows), len(card.labels))


def held_out_rows(predictions: list[Prediction], card: TaskCard) -> tuple[np.ndarray, np.ndarray]:
    """The validation probabilities and their true labels (class indices, or a 0/1 matrix)."""
    if card.task == "multilabel":
        kept = [p for p in predictions if p.gold_labels is not None]
        gold = [set(p.gold_labels or ()) for p in kept]
        targets = np.array([[label in g for label in card.labels] for g in gold], dtype=int)
    else:
        kept = [p for p in predictions if p.gold in card.labels]
        targets = np.array([card.labels.index(str(p.gold)) for p in kept], dtype=int)
    if not kept:
        raise TuneloopError("the run has no validation rows with labels to calibrate suggestions on")
    return probabilities(kept, card), targets
