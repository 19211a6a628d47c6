"""The rows a preference phase trains on, and the KTO weights that balance them.

From the project's store (`preference.sources: [feedback]`), each piece of feedback on a served
answer (or on an imported one, which carries its own prompt and answer):
- a thumbs up or a rating of 4-5: the answer is a desirable KTO row; a thumbs down or 1-2: an
  undesirable one (3 says neither, and trains nothing);
- a correction that differs from the answer: a DPO pair, the correction chosen and the served
  answer rejected.
The prompt is the served request's messages, after the task's system prompt when they have none
(as the server answered them). The store is read by its tables (this stage comes before the
serving and feedback stages, which write and summarise them).

A phase keeps the rows it read in its directory (`preferences.jsonl`), so a resumed phase trains on
the same rows even when feedback arrived since.
"""

from __future__ import annotations

import random
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson
from datasets import Dataset
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tuneloop.annotate.store.engine import open_store
from tuneloop.annotate.store.models import ServedFeedback, ServedRequest
from tuneloop.data.preference import Preference
from tuneloop.distributed import is_main
from tuneloop.errors import TuneloopError
from tuneloop.spec import Phase, ProjectSpec

POSITIVE = frozenset({"up", "4", "5"})
NEGATIVE = frozenset({"down", "1", "2"})
PREFERENCES_FILE = "preferences.jsonl"
#: The weighted desirable:undesirable ratio aimed at: the middle of TRL's advised 1:1 to 4:3
#: (Eq. 8 of the KTO paper, checked by `KTOTrainer` when it reads the data).
KTO_TARGET_RATIO = 7 / 6


def feedback_preferences(store_url: str, system: str | None) -> list[Preference]:
    """Every KTO rating and DPO pair the store's feedback gives, oldest feedback first."""
    url = make_url(store_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        return []  # no store: nothing was served
    store = open_store(store_url)
    try:
        with store.read() as session:
            query = (
                select(ServedFeedback, ServedRequest)
                .outerjoin(ServedRequest, ServedFeedback.request_id == ServedRequest.id)
                .order_by(ServedFeedback.id)
            )
            found = [_preferences(f, r, system) for f, r in session.execute(query).tuples()]
    finally:
        store.close()
    return [p for ps in found for p in ps]


def _preferences(
    feedback: ServedFeedback, request: ServedRequest | None, system: str | None
) -> list[Preference]:
    if request is not None:
        prompt, answer = _prompt(request.request, system), _answer(request.response)
    else:  # imported: the prompt and answer came with the feedback
        prompt = _prompt({"prompt": feedback.prompt or ""}, system)
        answer = feedback.answer or ""
    if not answer or prompt[-1]["role"] != "user" or not prompt[-1]["content"]:
        return []
    rows = []
    if feedback.rating in POSITIVE or feedback.rating in NEGATIVE:
        rows.append(Preference(prompt, completion=answer, desirable=feedback.rating in POSITIVE))
    correction = (feedback.correction or "").strip()
    if correction and correction != answer.strip():
        rows.append(Preference(prompt, chosen=correction, rejected=answer))
    return rows


def _prompt(request: dict[str, Any], system: str | None) -> list[dict[str, str]]:
    messages = [
        {"role": str(m.get("role")), "content": str(m.get("content") or "")}
        for m in request.get("messages") or []
    ]
    if not messages:
        prompt = request.get("prompt")
        text = prompt[0] if isinstance(prompt, list) and prompt else prompt
        messages = [{"role": "user", "content": str(text or "")}]
    if system and messages[0]["role"] != "system":
        messages = [{"role": "system", "content": system}, *messages]
    return messages


def _answer(response: dict[str, Any]) -> str:
    choice = (response.get("choices") or [{}])[0]
    return str((choice.get("message") or {}).get("content") or choice.get("text") or "")


def phase_preferences(
    spec: ProjectSpec, phase: Phase, out_dir: Path, source_rows: list[Preference]
) -> list[Preference]:
    """The rows of the phase's kind, as kept in its directory, else read from its sources (the
    store's feedback, the data's preference rows `source_rows`) and kept; a phase with none is an
    error that says where they come from."""
    assert phase.preference is not None  # the spec fills it in for kto and dpo phases
    kept = out_dir / PREFERENCES_FILE
    if kept.is_file():
        rows = [Preference(**orjson.loads(line)) for line in kept.read_bytes().splitlines()]
    else:
        sources = phase.preference.sources
        found = feedback_preferences(spec.store_url, spec.system_prompt) if "feedback" in sources else []
        found += source_rows if "data" in sources else []
        rows = [p for p in found if p.kind == phase.kind]
        if is_main():  # atomically: another process of the launch may be reading it
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_suffix(".partial")
            partial.write_bytes(b"".join(orjson.dumps(asdict(p)) + b"\n" for p in rows))
            partial.replace(kept)
    if not rows:
        raise TuneloopError(_none_found(spec, phase))
    return rows


def _none_found(spec: ProjectSpec, phase: Phase) -> str:
    assert phase.preference is not None
    what = (
        "DPO pairs (a correction given on a served answer, or a data row with chosen and rejected)"
        if phase.kind == "dpo"
        else "KTO ratings (a thumbs up or down, or a 1-2 or 4-5 rating, on a served answer, or a data "
        "row with a boolean label)"
    )
    where = {
        "feedback": f"the feedback in the store {spec.store_url} (POST /v1/feedback of `tuneloop "
        "serve-model`, or `tuneloop feedback import`)",
        "data": "the preference rows of data.sources (docs/formats.md#preference-rows)",
    }
    read = " and ".join(where[s] for s in phase.preference.sources)
    return (
        f"phase {phase.name!r} ({phase.kind}) found no {what} in {read}; gather them first, add a "
        "source to preference.sources, or remove the phase"
    )


def kto_weights(rows: list[Preference]) -> tuple[float, float]:
    """(desirable_weight, undesirable_weight): one side is weighted up (never down; the other keeps
    1) so that desirable_weight * desirables : undesirable_weight * undesirables is KTO_TARGET_RATIO,
    inside TRL's advised 1:1 to 4:3."""
    desirable = sum(bool(r.desirable) for r in rows)
    undesirable = len(rows) - desirable
    if not desirable or not undesirable:
        return 1.0, 1.0  # one side only: nothing to balance
    if desirable >= undesirable * KTO_TARGET_RATIO:
        return 1.0, round(desirable / (undesirable * KTO_TARGET_RATIO), 4)
    return round(undesirable * KTO_TARGET_RATIO / desirable, 4), 1.0


def preference_dataset(rows: list[Preference], seed: int) -> Dataset:
    """TRL's conversational layout: `prompt` messages, then `completion` + `label` (KTO) or
    `chosen` + `rejected` (DPO), each answer one assistant message. The rows are shuffled (by
    `seed`) here: KTOTrainer reads them in order (its KL term pairs each row with its neighbour in
    the batch), and feedback comes in runs of one rating."""
    rows = random.Random(seed).sample(rows, len(rows))

    def said(text: str | None) -> list[dict[str, str]]:
        return [{"role": "assistant", "content": text or ""}]

    if rows and rows[0].kind == "kto":
        return Dataset.from_list(
            [{"prompt": r.prompt, "completion": said(r.completion), "label": r.desirable} for r in rows]
        )
    return Dataset.from_list(
        [{"prompt": r.prompt, "chosen": said(r.chosen), "rejected": said(r.rejected)} for r in rows]
    )
