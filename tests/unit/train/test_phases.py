from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tuneloop.data.prepare import read_and_split
from tuneloop.errors import TuneloopError
from tuneloop.models import load_model_and_tokenizer
from tuneloop.run_dir import PHASE_LOG_FILE
from tuneloop.spec import load_spec
from tuneloop.task_card import TaskCard
from tuneloop.train.base_model import ensure_base_model
from tuneloop.train.phases import GateFailed, phase_dataset, train_phase
from tuneloop.train.run import train_phases


def test_phase_datasets_by_kind(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project(rows=40, labels=2))
    parts = read_and_split(spec)[1]
    tokenizer = load_model_and_tokenizer(ensure_base_model(spec, parts)[0])[1]
    train = parts["train"]
    general, task = spec.phases
    text, mix = phase_dataset(spec, general, parts, tokenizer)
    assert text.column_names == ["input_ids", "assistant_masks"]
    assert tokenizer.decode(text[0]["input_ids"]) == train[0].text + tokenizer.eos_token
    assert all(text[0]["assistant_masks"])  # causal_lm trains every token
    assert [m.source for m in mix] == ["task", "unlabeled"]
    chat, _ = phase_dataset(spec, task.model_copy(update={"max_rows": 5, "mix": None}), parts, tokenizer)
    assert len(chat) == 5
    trained = [t for t, m in zip(chat[0]["input_ids"], chat[0]["assistant_masks"], strict=True) if m]
    assert tokenizer.decode(trained) in {e.label + tokenizer.eos_token for e in train}  # the answer only


def test_a_short_phase_still_logs_its_first_and_last_loss(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    spec = load_spec(make_project(rows=60, labels=3))
    parts = read_and_split(spec)[1]
    phase = spec.phases[1].model_copy(update={"max_steps": 3, "logging_steps": 50})
    result = train_phase(spec, phase, parts, ensure_base_model(spec, parts)[0], tmp_path / "phase")
    records = [orjson.loads(line) for line in (tmp_path / "phase" / PHASE_LOG_FILE).read_bytes().splitlines()]
    assert [r["step"] for r in records] == [1, 3]
    assert result.first_loss == records[0]["loss"] and result.last_loss == records[-1]["loss"]
    assert TaskCard.load(Path(result.model_dir)) == TaskCard.from_spec(spec)


def test_general_set_gates_judge_forgetting_against_the_start_model(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    spec = load_spec(make_project(rows=60, labels=3))
    parts = read_and_split(spec)[1]
    gates = ["general.loss <= previous + 100", "general.token_accuracy >= previous + 0.5"]
    phase = spec.phases[1].model_copy(update={"max_steps": 3})
    phase = type(phase).model_validate({**phase.model_dump(), "gate": gates})
    base = ensure_base_model(spec, parts)[0]
    with pytest.raises(GateFailed) as err:
        train_phases(spec.model_copy(update={"phases": [phase]}), parts, base, tmp_path)
    assert "general.token_accuracy >= previous + 0.5 (got 0." in str(err.value) and "needed 0." in str(
        err.value
    )
    result = train_phase(spec, phase, parts, base, tmp_path / "again")
    before, after = result.general_before, result.general
    assert before is not None and after is not None
    assert before["rows"] == after["rows"] == len(parts["validation"])  # no unlabeled text: validation inputs
    assert 0 <= after["token_accuracy"] <= 1 and after["loss"] > 0
    loose, strict = result.gates
    assert loose.to_dict() == {
        "gate": gates[0],
        "actual": after["loss"],
        "threshold": before["loss"] + 100,
        "passed": True,
    }
    assert strict.passed is False and strict.threshold == pytest.approx(before["token_accuracy"] + 0.5)


def test_a_lora_merge_under_sharded_training_is_refused_before_it_starts(
    make_project: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = load_spec(make_project(rows=30, labels=3))
    phase = type(spec.phases[1]).model_validate({**spec.phases[1].model_dump(), "lora": {"r": 4}})
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    with pytest.raises(TuneloopError, match=r"set lora\.merge: false"):
        train_phase(spec, phase, {}, "never-loaded", tmp_path)
    assert not (tmp_path / "model").exists()
