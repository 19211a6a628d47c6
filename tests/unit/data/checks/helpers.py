"""Rows for check tests, made the way ingest makes them."""

from __future__ import annotations

from tuneloop.data.checks.base import Row
from tuneloop.data.example import Example, build_messages


def rows(*texts: str, label: str | None = "card_arrival", file: str = "d.jsonl") -> list[Row]:
    return [
        Row(i, Example(build_messages(text, label, None), label, f"{file}:{i + 1}"), file, i + 1)
        for i, text in enumerate(texts)
    ]
