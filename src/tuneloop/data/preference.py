"""Preference rows: DPO pairs and KTO ratings, read and checked into the one form the preference
phases will train on (`Preference`).

Layouts read:
- DPO: `prompt` (a string or `{role, content}` messages), `chosen`, `rejected` (TRL); ShareGPT
  `conversations` + `chosen`/`rejected` `{from, value}` (LLaMA-Factory); `messages` or Alpaca
  `instruction`/`input` + `chosen`/`rejected`. An answer is a string, one `{from, value}` or
  `{role, content}` message, or a list holding one assistant message.
- KTO: `messages` (or `conversations`) ending in the rated answer + a boolean `label` (or `kto_tag`);
  `prompt` + `completion` + `label` (TRL).

They are no examples: ingest reads and checks them and keeps them out of the examples with their
own finding code (`preference_not_trained`), so they sit in the DatasetVersion's quarantine file,
raw. A `kto` or `dpo` phase with `preference.sources: [data]` trains on them from there
(`source_preferences`); without one, a source of them in a spec is refused with `refusal`: the
label is never dropped without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tuneloop.data.row_problem import RowProblem
from tuneloop.data.row_shapes import (
    alpaca_history,
    alpaca_prompt,
    chat_turns,
    conversation,
    required_text,
    sharegpt_turns,
)

NOT_TRAINED = "preference_not_trained"
PREFERENCE_FIELD = "the preference field"


@dataclass(frozen=True)
class Preference:
    """One preference row. `prompt`: the conversation before the answer (it ends with a user turn).
    DPO: `chosen` is preferred to `rejected`. KTO: `completion` is `desirable` or not."""

    prompt: list[dict[str, str]]
    chosen: str | None = None
    rejected: str | None = None
    completion: str | None = None
    desirable: bool | None = None

    @property
    def kind(self) -> str:
        return "kto" if self.desirable is not None else "dpo"


def preference_of(row: dict[str, Any], system: str | None) -> Preference:
    """The canonical form of a DPO or KTO row, or a `RowProblem` saying what is wrong with it.
    `system`: the task's system prompt, put first when the row has none."""
    if "chosen" in row or "rejected" in row:
        chosen, rejected = _answer(row, "chosen"), _answer(row, "rejected")
        if chosen == rejected:
            raise RowProblem(
                "identical_answers", "'chosen' and 'rejected' are the same answer: the pair prefers nothing"
            )
        return Preference(_prompt(row, system), chosen=chosen, rejected=rejected)
    flag_key = "kto_tag" if "kto_tag" in row else "label"
    desirable = row.get(flag_key)
    if not isinstance(desirable, bool):
        raise RowProblem("wrong_type", f"{flag_key!r} of a KTO row must be true or false")
    if "completion" in row:
        return Preference(_prompt(row, system), completion=_answer(row, "completion"), desirable=desirable)
    turns = _turns(row)
    if turns[-1]["role"] != "assistant":
        raise RowProblem("no_assistant_message", "a KTO conversation must end with the answer it rates")
    prompt = _ending_with_user(conversation(row, turns[:-1], system))
    return Preference(prompt, completion=turns[-1]["content"], desirable=desirable)


def not_trained(preference: Preference) -> RowProblem:
    """The finding of a well-formed preference row: read and checked, then kept out of training."""
    what = (
        "a DPO pair (a prompt, a chosen and a rejected answer)"
        if preference.kind == "dpo"
        else f"a KTO rating (an answer marked {'desirable' if preference.desirable else 'undesirable'})"
    )
    return RowProblem(
        NOT_TRAINED,
        f"{what}, read and checked; kept out of the examples: only a kto or dpo phase with "
        "preference.sources: [data] trains on it",
        "keep preference rows in their own file, out of data.sources, unless such a phase trains them",
    )


def refusal(path: Path, count: int, read: int, line: int | None) -> str:
    """The error for a spec source that holds preference rows."""
    return (
        f"{path}: {count} of the {read} rows are preference rows (DPO pairs or KTO ratings; the first on "
        f"line {line}); no phase trains on preference rows (docs/formats.md#preference-rows): add a kto or "
        f"dpo phase with preference.sources: [data], take this file out of the spec's data, or give its "
        f"prompts and chosen answers as chat rows. "
        f"`tuneloop check {path.name}` checks the rows on their own"
    )


def source_preferences(quarantine: Path, system: str | None) -> list[Preference]:
    """The preference rows a DatasetVersion kept out of its examples, from its quarantine file
    (`quarantine`), each read again from its raw line: what a `data` preference source trains."""
    if not quarantine.is_file():
        return []
    held = (orjson.loads(line) for line in quarantine.read_bytes().splitlines())
    return [preference_of(orjson.loads(q["raw"]), system) for q in held if q["code"] == NOT_TRAINED]


def _prompt(row: dict[str, Any], system: str | None) -> list[dict[str, str]]:
    if "prompt" in row:
        prompt = row["prompt"]
        turns = (
            chat_turns(prompt, "prompt")
            if isinstance(prompt, list)
            else [{"role": "user", "content": required_text(row, "prompt", PREFERENCE_FIELD)}]
        )
    elif "instruction" in row:
        turns = [*alpaca_history(row), {"role": "user", "content": alpaca_prompt(row)}]
    elif "conversations" in row or "messages" in row:
        turns = _turns(row)
    else:
        raise RowProblem(
            "missing_field",
            "a preference row has no prompt: give 'prompt', 'messages', 'conversations' or 'instruction'",
        )
    return _ending_with_user(conversation(row, turns, system))


def _turns(row: dict[str, Any]) -> list[dict[str, str]]:
    if "conversations" in row:
        return sharegpt_turns(row["conversations"], "conversations")
    return chat_turns(row.get("messages"), "messages")


def _ending_with_user(prompt: list[dict[str, str]]) -> list[dict[str, str]]:
    if prompt[-1]["role"] != "user":
        raise RowProblem("no_user_message", "the prompt of a preference row must end with a user turn")
    return prompt


def _answer(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]  # TRL's conversational layout: a list holding the assistant's message
    if isinstance(value, dict):
        speaker = value.get("from", value.get("role"))
        if speaker not in ("gpt", "assistant"):
            raise RowProblem("unknown_role", f"{key!r} must be the assistant's answer, found {speaker!r}")
        return required_text(value, "value" if "value" in value else "content", f"{key!r}'s field")
    if value is not None and not isinstance(value, str):
        raise RowProblem("wrong_type", f"{key!r} must be an answer (a string or one assistant message)")
    return required_text(row, key, PREFERENCE_FIELD)
