"""`fairness_report`: every fairness check of a run's test split in one JSON-able result, kept
as `RUN/eval/SPLIT/fairness.json` next to the split's metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.evaluate.fairness.counterfactual import counterfactual
from tuneloop.evaluate.fairness.gates import fairness_verdicts
from tuneloop.evaluate.fairness.group_metrics import group_metrics
from tuneloop.evaluate.fairness.skew import term_skew
from tuneloop.evaluate.predict import Prediction
from tuneloop.evaluate.scoring_report import predict_by_card, scoring_of
from tuneloop.lexicons import swappers
from tuneloop.run_dir import FAIRNESS_FILE
from tuneloop.spec import Evaluation
from tuneloop.task_card import TaskCard


def fairness_report(
    model: Any,
    tokenizer: Any,
    card: TaskCard,
    test_examples: list[Example],
    train_examples: list[Example],
    evaluation: Evaluation,
    console: Console | None = None,
    predictions: list[Prediction] | None = None,
) -> dict[str, Any]:
    """Counterfactual swaps, group metrics and training-data skew, with the gates' verdicts.

    `predictions` are the model's predictions on `test_examples` when the caller has them
    already (the evaluation just made them); otherwise they are made here, by the card's scoring."""
    spec = evaluation.fairness
    scoring = scoring_of(card)[0]
    family_swappers = swappers(spec.families, spec.custom)

    def predict(examples: list[Example]) -> list[Prediction]:
        return predict_by_card(model, tokenizer, examples, card, evaluation.batch_size, console)

    originals = predictions if predictions is not None else predict(test_examples)
    result: dict[str, Any] = {
        "scoring": scoring,
        "counterfactual": counterfactual(
            test_examples, {p.id: p for p in originals}, family_swappers, predict
        ),
        "groups": group_metrics(originals, evaluation.slices, spec.sensitive, evaluation.bootstrap),
        "skew": term_skew(train_examples, family_swappers),
    }
    result["verdicts"] = [v.to_dict() for v in fairness_verdicts(result, spec)]
    return result


def write_fairness(split_dir: Path, result: dict[str, Any]) -> Path:
    split_dir.mkdir(parents=True, exist_ok=True)
    path = split_dir / FAIRNESS_FILE
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    return path


def read_fairness(split_dir: Path) -> dict[str, Any] | None:
    """The split's fairness result, or None when fairness was not assessed for it."""
    path = split_dir / FAIRNESS_FILE
    return orjson.loads(path.read_bytes()) if path.is_file() else None
