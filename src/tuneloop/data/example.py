"""The canonical example every stage reads: chat messages plus label, slices and provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(frozen=True)
class Example:
    """One row of task data in OpenAI chat form.

    `id` is a hash of the content (messages and label) only, so the same row read from two files,
    or on two days, gets the same id; `source` says where this copy came from.
    """

    messages: list[dict[str, str]]
    label: str | None
    source: str
    slices: dict[str, str] = field(default_factory=dict)
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", content_id(self.messages, self.label))

    @property
    def text(self) -> str:
        """The input the model answers: the last user turn."""
        return next(m["content"] for m in reversed(self.messages) if m["role"] == "user")

    @property
    def prompt_messages(self) -> list[dict[str, str]]:
        """The conversation up to (not including) the final assistant answer."""
        if self.messages and self.messages[-1]["role"] == "assistant":
            return self.messages[:-1]
        return self.messages

    def to_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "messages": self.messages,
            "label": self.label,
            "slices": sorted(self.slices.items()),
            "source": self.source,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Example:
        slices = row.get("slices") or []
        return cls(
            messages=[{"role": m["role"], "content": m["content"]} for m in row["messages"]],
            label=row.get("label"),
            source=row["source"],
            slices=dict(slices),
            id=row["id"],
        )


def content_id(messages: list[dict[str, str]], label: str | None) -> str:
    payload = orjson.dumps({"messages": messages, "label": label}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()[:16]


def build_messages(text: str, label: str | None, system: str | None) -> list[dict[str, str]]:
    """Map a text (and its label) through the task template to chat turns."""
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": text})
    if label is not None:
        messages.append({"role": "assistant", "content": label})
    return messages
