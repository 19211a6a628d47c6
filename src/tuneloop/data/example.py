"""The canonical example every stage reads: chat messages plus label, slices and provenance.

A message is OpenAI's chat form, kept to what training uses: `role` (system, user, assistant or
tool) and `content` (text; "" for an assistant turn that only calls tools), and only where they
apply `tool_calls` (`[{"id"?, "type": "function", "function": {"name", "arguments"}}]`, the
arguments as JSON text), `tool_call_id` (on a tool turn) and `weight: 0` (an assistant turn that is
not trained; no weight means trained). `data/chat_rows.py` reads rows into this form.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(frozen=True)
class Example:
    """One row of task data in OpenAI chat form.

    `id` is a hash of the content (messages, label and tools) only, so the same row read from two
    files, or on two days, gets the same id; `source` says where this copy came from. `tools`: the
    tools the row declares (`[{"type": "function", "function": {name, description, parameters}}]`).

    `labels`: the label set of a multilabel row, in schema order (None for every other task); its
    `label` is then the canonical answer (`label_text.canonical_answer`), the text the model
    learns and what duplicate and conflict checks compare, so one field never disagrees with the
    other: ingest sets both from one list.
    """

    messages: list[dict[str, Any]]
    label: str | None
    source: str
    slices: dict[str, str] = field(default_factory=dict)
    id: str = ""
    tools: list[dict[str, Any]] = field(default_factory=list)
    labels: tuple[str, ...] | None = None
    references: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", content_id(self.messages, self.label, self.tools, self.references))

    @property
    def rows(self) -> int:
        """How many rows read this example stands for: one per reference (a grouped input)."""
        return len(self.references) if self.references else 1

    def reference_rows(self) -> list[Example]:
        """One single-answer example per reference (what a phase trains on, and what the quarantine
        keeps of a removed input); an example without references is its own only row."""
        if not self.references:
            return [self]
        prompt, label_is_answer = self.prompt_messages, self.label == self.answer
        return [
            Example(
                [*prompt, {"role": "assistant", "content": ref}],
                ref if label_is_answer else self.label,
                self.source,
                self.slices,
                tools=self.tools,
            )
            for ref in self.references
        ]

    @property
    def text(self) -> str:
        """The input the model answers: the last user turn."""
        return next(m["content"] for m in reversed(self.messages) if m["role"] == "user")

    @property
    def answer(self) -> str:
        """The final assistant turn as text (its tool calls included), or "" without one."""
        last = self.messages[-1] if self.messages else None
        return turn_text(last) if last and last["role"] == "assistant" else ""

    @property
    def prompt_messages(self) -> list[dict[str, Any]]:
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
            "tools": orjson.dumps(self.tools).decode() if self.tools else None,
            "labels": None if self.labels is None else list(self.labels),
            "references": None if self.references is None else list(self.references),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Example:
        """The inverse of `to_row`; a row written before tool calls, weights and label sets existed
        (no `tools` or `labels` column, messages of role and content only) reads as it always did."""
        slices = row.get("slices") or []
        return cls(
            messages=[_present(m) for m in row["messages"]],
            label=row.get("label"),
            source=row["source"],
            slices=dict(slices),
            id=row["id"],
            tools=orjson.loads(row["tools"]) if row.get("tools") else [],
            labels=None if row.get("labels") is None else tuple(row["labels"]),
            references=None if row.get("references") is None else tuple(row["references"]),
        )


def _present(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message without the fields it does not have (Parquet stores them as null)."""
    kept = {key: value for key, value in message.items() if value is not None}
    if "tool_calls" in kept:
        kept["tool_calls"] = [{k: v for k, v in call.items() if v is not None} for call in kept["tool_calls"]]
    return kept


def turn_text(message: dict[str, Any]) -> str:
    """A turn as plain text: its content, then each tool call on a line of its own as
    `{"name": ..., "arguments": {...}}` (as the tiny model's chat template writes it)."""
    calls = [
        json.dumps(
            {"name": call["function"]["name"], "arguments": json.loads(call["function"]["arguments"])},
            ensure_ascii=False,
        )
        for call in message.get("tool_calls", [])
    ]
    return "\n".join([message["content"]] * bool(message["content"]) + calls)


def content_id(
    messages: list[dict[str, Any]],
    label: str | None,
    tools: list[dict[str, Any]] | None = None,
    references: tuple[str, ...] | None = None,
) -> str:
    content = {
        "messages": messages,
        "label": label,
        **({"tools": tools} if tools else {}),
        **({"references": list(references)} if references else {}),
    }
    payload = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()[:16]


def build_messages(text: str, label: str | None, system: str | None) -> list[dict[str, str]]:
    """Map a text (and its label) through the task template to chat turns."""
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": text})
    if label is not None:
        messages.append({"role": "assistant", "content": label})
    return messages
