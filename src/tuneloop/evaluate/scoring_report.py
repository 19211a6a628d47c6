"""What the metrics say about how answers became labels: the scoring method and, under
generation, accuracy and invalid rate under both parsing rules, so a reader sees which rule the
headline used and how much the rule matters."""

from __future__ import annotations

from typing import Any, get_args

import numpy as np
from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.errors import TuneloopError
from tuneloop.evaluate import parsing as parsing_rules
from tuneloop.evaluate import scoring as loglik
from tuneloop.evaluate.predict import Prediction, Scoring, predict_labels
from tuneloop.task_card import TaskCard

GENERATION_RULE = "greedy generation, the output mapped to a label by the {parsing} rule"


def scoring_of(card: TaskCard) -> tuple[Scoring, parsing_rules.Rule]:
    """The card's scoring and parsing, checked: a hand-edited card must not score silently wrong."""
    if card.scoring not in get_args(Scoring):
        raise TuneloopError(
            f"task card: scoring {card.scoring!r} is not one of {', '.join(get_args(Scoring))}"
        )
    if card.parsing not in parsing_rules.RULES:
        raise TuneloopError(
            f"task card: parsing {card.parsing!r} is not one of {', '.join(parsing_rules.RULES)}"
        )
    return card.scoring, card.parsing  # type: ignore[return-value]


def predict_by_card(
    model: Any,
    tokenizer: Any,
    examples: list[Example],
    card: TaskCard,
    batch_size: int,
    console: Console | None = None,
) -> list[Prediction]:
    """Predictions by the card's scoring and parsing: the evaluation of a saved model and its
    fairness swaps score the same way, so their predictions compare row by row."""
    scoring, parsing = scoring_of(card)
    return predict_labels(
        model,
        tokenizer,
        examples,
        card.labels,
        card.max_new_tokens,
        batch_size,
        console,
        scoring=scoring,
        parsing=parsing,
    )


def scoring_report(
    predictions: list[Prediction], scoring: Scoring, parsing: parsing_rules.Rule
) -> dict[str, Any]:
    """`mapping_rule` (the sentence the report shows), `scoring` and `parsing` blocks."""
    if scoring == "loglik":
        confidences = [p.confidence for p in predictions if p.confidence is not None]
        return {
            "mapping_rule": loglik.RULE,
            "scoring": {
                "method": "loglik",
                "rule": loglik.RULE,
                "mean_confidence": float(np.mean(confidences)) if confidences else None,
            },
            "parsing": {
                "headline": None,
                "note": "log-likelihood scoring picks among the labels: nothing to parse",
            },
        }
    rules = {}
    for rule in parsing_rules.RULES:
        picked = [(p.parsed or {}).get(rule) for p in predictions]
        rules[rule] = {
            "rule": parsing_rules.DESCRIPTIONS[rule],
            "accuracy": float(
                np.mean([m is not None and m == p.gold for m, p in zip(picked, predictions, strict=True)])
            )
            if predictions
            else None,
            "invalid_rate": picked.count(None) / len(predictions) if predictions else None,
        }
    return {
        "mapping_rule": parsing_rules.DESCRIPTIONS[parsing],
        "scoring": {"method": "generate", "rule": GENERATION_RULE.format(parsing=parsing)},
        "parsing": {"headline": parsing, **rules},
    }
