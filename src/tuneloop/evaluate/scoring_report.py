"""What the metrics say about how answers became labels: the scoring method and, under
generation, accuracy and invalid rate under both parsing rules, so a reader sees which rule the
headline used and how much the rule matters; for a multilabel task, also every invalid output
with the reason it is no label set."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, get_args

import numpy as np
from rich.console import Console

from tuneloop.data.example import Example
from tuneloop.errors import TuneloopError
from tuneloop.evaluate import parsing as parsing_rules
from tuneloop.evaluate import scoring as loglik
from tuneloop.evaluate import set_parsing
from tuneloop.evaluate.extraction import predict_records
from tuneloop.evaluate.generation import predict_texts
from tuneloop.evaluate.label_sets import predict_label_sets
from tuneloop.evaluate.predict import Prediction, Scoring, predict_labels
from tuneloop.task_card import TaskCard

GENERATION_RULE = "greedy generation, the output mapped to a label by the {parsing} rule"
SET_LOGLIK_RULE = (
    "presence scores: greedy answer S, then for each label L, sigmoid(log p(S with L) - log p(S without L)); "
    "the set is the labels scoring at least the threshold"
)
SET_GENERATION_RULE = "greedy generation, the output read as a label set by the {parsing} rule"
INVALID_LISTED = 50  # invalid outputs listed in metrics.json (all are counted)


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
    show_progress: bool = True,
) -> list[Prediction]:
    """Predictions by the card's scoring and parsing: the evaluation of a saved model, its
    fairness swaps and a training phase's monitor score the same way, so their predictions compare
    row by row (the monitor without a bar: the phase's own bar is the live display)."""
    scoring, parsing = scoring_of(card)
    if card.task == "generate":  # free text: no labels to score or parse
        return predict_texts(
            model, tokenizer, examples, card.max_new_tokens, batch_size, console, show_progress
        )
    if card.task == "extract":  # one JSON record per input, read against the field schema
        return predict_records(model, tokenizer, examples, card, batch_size, console, show_progress)
    if card.task == "multilabel":
        bounds = (card.min_labels, len(card.labels) if card.max_labels is None else card.max_labels)
        return predict_label_sets(
            model,
            tokenizer,
            examples,
            card.labels,
            bounds,
            card.threshold,
            card.max_new_tokens,
            batch_size,
            console,
            show_progress,
            scoring=scoring,
            parsing=parsing,
        )
    return predict_labels(
        model,
        tokenizer,
        examples,
        card.labels,
        card.max_new_tokens,
        batch_size,
        console,
        show_progress,
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


def set_scoring_report(
    predictions: list[Prediction], card: TaskCard, scoring: Scoring, parsing: parsing_rules.Rule
) -> dict[str, Any]:
    """A multilabel task's `mapping_rule`, `scoring` and `parsing` blocks (exact-set match and
    invalid rate of the generated answers under both rules) and `invalid_outputs`: how many, by
    reason, and the first `INVALID_LISTED` with their text."""
    bounds = (card.min_labels, len(card.labels) if card.max_labels is None else card.max_labels)
    parser = set_parsing.LabelSetParser(card.labels, bounds)
    rule = SET_LOGLIK_RULE if scoring == "loglik" else SET_GENERATION_RULE.format(parsing=parsing)
    rules = {}
    for name in parsing_rules.RULES:
        picked = [(p.parsed or {}).get(name) for p in predictions]
        n = len(predictions) or 1
        rules[name] = {
            "rule": set_parsing.DESCRIPTIONS[name],
            "exact_set": sum(m is not None and m == p.gold for m, p in zip(picked, predictions, strict=True))
            / n,
            "invalid_rate": picked.count(None) / n,
        }
    invalid = [
        {"id": p.id, "text": p.text, "output": p.output, "problem": parser.parse(p.output, parsing).problem}
        for p in predictions
        if p.answer_labels is None
    ]
    return {
        "mapping_rule": rule,
        "scoring": {"method": scoring, "rule": rule},
        "parsing": {"headline": parsing, **rules},
        "invalid_outputs": {
            "count": len(invalid),
            "by_problem": dict(Counter(_kind(row["problem"]) for row in invalid).most_common()),
            "rows": invalid[:INVALID_LISTED],
        },
    }


def _kind(problem: str | None) -> str:
    """A reason without the label it quotes, so reasons count by kind ("unknown label …")."""
    return re.sub(r"'[^']*'|\"[^\"]*\"", "…", problem or "invalid")
