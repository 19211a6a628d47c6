"""The label set of a multilabel row, read from whatever holds it and checked against the schema.

One function serves every row shape: a list (a JSON list in a JSONL, JSON or Parquet cell), a JSON
list written as text (a CSV cell), text split at the source's `label_delimiter`, or the assistant's
answer of a chat row (the canonical form, labels joined by `label_text.SEPARATOR`, or a JSON list).
A missing or null cell is the empty set (NLU++ leaves `intents` out of a row without intents).
Unknown labels, a label twice, fewer than `min_labels` or more than `max_labels`: a `RowProblem`,
so the row is quarantined with a finding that says where and why; nothing is fixed silently.
"""

from __future__ import annotations

from typing import Any

import orjson

from tuneloop.data.row_problem import RowProblem
from tuneloop.label_text import NO_LABELS, SEPARATOR, label_key
from tuneloop.task_card import TaskCard


def label_set(value: Any, card: TaskCard, delimiter: str | None) -> tuple[str, ...]:
    """The checked set in schema order (`card.labels`), from a cell or an answer text."""
    names = _names(value, delimiter)
    schema = {name: i for i, name in enumerate(card.labels)}
    unknown = [name for name in names if name not in schema]
    if unknown:
        raise RowProblem(
            "unknown_label",
            f"label {unknown[0]!r} is not in the spec's labels"
            + (f" (nor are {', '.join(map(repr, unknown[1:]))})" if len(unknown) > 1 else ""),
            "fix the label or add it to labels: in tuneloop.yaml",
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise RowProblem(
            "duplicate_label",
            f"label {twice[0]!r} is listed more than once in one answer",
            "list each label of the row once",
        )
    high = len(card.labels) if card.max_labels is None else card.max_labels
    if len(names) < card.min_labels:
        raise RowProblem(
            "too_few_labels",
            f"{len(names)} label(s), but objective.min_labels is {card.min_labels}",
            "add the labels the row has, or lower objective.min_labels",
        )
    if len(names) > high:
        raise RowProblem(
            "too_many_labels",
            f"{len(names)} labels, but objective.max_labels is {high}",
            "keep the labels that apply, or raise objective.max_labels",
        )
    return tuple(sorted(names, key=schema.__getitem__))


def _names(value: Any, delimiter: str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return _names_in_text(value, delimiter)
    if isinstance(value, list | tuple):
        if not all(isinstance(name, str) for name in value):
            odd = next(name for name in value if not isinstance(name, str))
            raise RowProblem("wrong_type", f"the label list holds {odd!r}, not a label name")
        return [name.strip() for name in value]
    raise RowProblem("wrong_type", f"the labels must be a list (or text), found {type(value).__name__}")


def _names_in_text(text: str, delimiter: str | None) -> list[str]:
    text = text.strip()
    if text.startswith("["):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise RowProblem("wrong_type", f"the labels look like a JSON list but are not ({exc})") from None
        return _names(parsed, None)
    if not text or label_key(text) == NO_LABELS:
        return []
    parts = text.split(delimiter or SEPARATOR.strip())
    return [part.strip() for part in parts]
