"""kto and dpo phases on a tiny project: rows from the store's feedback, TRL's trainers, the phase
log, changed weights and the general-set gate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import torch
from rich.console import Console

from tests.unit.feedback.served import rate, serve
from tuneloop.data.prepare import prepare_dataset, read_and_split
from tuneloop.errors import TuneloopError
from tuneloop.models import load_model_and_tokenizer
from tuneloop.run_dir import PHASE_LOG_FILE, data_dir, read_record, update_record
from tuneloop.spec import Phase, load_spec
from tuneloop.train.base_model import ensure_base_model
from tuneloop.train.phases import GateFailed, train_phase
from tuneloop.train.run import run_phases, train_phases

QUESTIONS = [f"my card number {i} was declined at the shop" for i in range(8)]


def _phase(kind: str, **settings: Any) -> Phase:
    return Phase.model_validate(
        {"name": kind, "kind": kind, "max_steps": 2, "batch_size": 4, "logging_steps": 1, **settings}
    )


def _served_with_feedback(project: Path) -> None:
    """Eight answers: four rated up, four down, two of the down ones corrected."""
    ids = serve(project, [(q, "card_declined") for q in QUESTIONS], confidence=0.9)
    ratings: list[tuple[str, Any, str | None]] = [(rid, "up", None) for rid in ids[:4]]
    ratings += [(rid, "down", "declined_card_payment" if i < 2 else None) for i, rid in enumerate(ids[4:])]
    rate(project, ratings)


def _weights(model_dir: str) -> dict[str, torch.Tensor]:
    model = load_model_and_tokenizer(model_dir)[0]
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(("kind", "lora"), [("kto", None), ("dpo", None), ("dpo", {"r": 4, "alpha": 8})])
def test_a_preference_phase_trains_on_feedback_logs_and_changes_the_weights(
    kind: str, lora: dict[str, int] | None, make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = make_project(rows=40, labels=2)
    _served_with_feedback(project)
    spec = load_spec(project)
    parts = read_and_split(spec)[1]
    base = ensure_base_model(spec, parts)[0]
    phase = _phase(kind, gate=["general.loss <= previous + 100"], learning_rate=0.01, lora=lora)
    result = train_phase(spec, phase, parts, base, tmp_path / kind)
    assert result.kind == kind and result.steps == 2
    expected: dict[str, Any] = {"rows": 8, "beta": 0.1, "desirable": 4, "undesirable": 4}
    expected |= {"desirable_weight": round(7 / 6, 4), "undesirable_weight": 1.0}  # even counts: 7:6
    assert result.preference == (expected if kind == "kto" else {"rows": 2, "beta": 0.1})
    records = [orjson.loads(line) for line in (tmp_path / kind / PHASE_LOG_FILE).read_bytes().splitlines()]
    assert [r["step"] for r in records] == [1, 2]
    logged = "kl" if kind == "kto" else "rewards/margins"
    assert all(logged in r and any(k.startswith("rewards/") for k in r) for r in records)
    kept = [orjson.loads(line) for line in (tmp_path / kind / "preferences.jsonl").read_bytes().splitlines()]
    assert len(kept) == (8 if kind == "kto" else 2)
    before, after = _weights(base), _weights(result.model_dir)
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert [g.passed for g in result.gates] == [True]
    assert result.general_before is not None and result.general is not None


def test_a_preference_phase_fails_its_forgetting_gate(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = make_project(rows=40, labels=2)
    _served_with_feedback(project)
    spec = load_spec(project)
    parts = read_and_split(spec)[1]
    phase = _phase("kto", gate=["general.token_accuracy >= previous + 0.5"])
    with pytest.raises(GateFailed, match=r"general.token_accuracy >= previous \+ 0.5 \(got 0\."):
        train_phases(
            spec.model_copy(update={"phases": [phase]}), parts, ensure_base_model(spec, parts)[0], tmp_path
        )


def test_a_dpo_phase_without_pairs_says_where_pairs_come_from(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    project = make_project(rows=40, labels=2)
    ids = serve(project, [(QUESTIONS[0], "card_declined")], confidence=0.9)
    rate(project, [(ids[0], "up", None)])  # a rating, no correction
    spec = load_spec(project)
    parts = read_and_split(spec)[1]
    with pytest.raises(TuneloopError, match=r"phase 'dpo' \(dpo\) found no DPO pairs.*correction"):
        train_phase(spec, _phase("dpo"), parts, ensure_base_model(spec, parts)[0], tmp_path / "dpo")


def test_a_generate_round_trains_sft_then_dpo_on_the_data_pairs(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    chats = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": "It was declined."}]}
        for q in QUESTIONS * 3
    ]
    pairs = [{"prompt": q, "chosen": "It was declined.", "rejected": "No idea."} for q in QUESTIONS[:4]]
    sources = [{"path": "data/chat.jsonl", "format": "chat"}, {"path": "data/pairs.jsonl", "format": "jsonl"}]
    sft = {"name": "task", "kind": "sft", "max_steps": 2, "batch_size": 4, "logging_steps": 1}
    dpo = {**sft, "name": "pairs", "kind": "dpo", "preference": {"sources": ["data"]}}
    project = make_project(
        rows=40,
        labels=2,
        objective={"name": "explain", "task": "generate"},
        data={"sources": sources},
        evaluation={},  # the builder's classify metrics are refused for a generate task
        phases=[sft, {**dpo, "gate": ["general.loss <= previous + 100"]}],
    )
    for name, rows in (("chat.jsonl", chats), ("pairs.jsonl", pairs)):
        (project / "data" / name).write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    spec = load_spec(project)
    run_dir = tmp_path / "run"
    dataset = prepare_dataset(spec, data_dir(run_dir))
    update_record(run_dir, project=str(project), spec=spec.model_dump(mode="json"), status="prepared")
    results = run_phases(spec, run_dir, dataset, Console(quiet=True), score=None)  # type: ignore[arg-type]
    assert [(r.kind, r.steps, r.gates_passed) for r in results] == [("sft", 2, True), ("dpo", 2, True)]
    kept = (Path(results[1].model_dir).parent / "preferences.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line)["rejected"] for line in kept] == ["No idea."] * 4
    assert [p["name"] for p in read_record(run_dir).phases or []] == ["task", "pairs"]
