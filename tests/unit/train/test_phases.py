from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson

from tuneloop.data.prepare import read_and_split
from tuneloop.pipeline import ensure_base_model
from tuneloop.spec import load_spec
from tuneloop.task_card import TaskCard
from tuneloop.train.phases import METRICS_FILE, phase_dataset, train_phase


def test_phase_datasets_by_kind(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project(rows=40, labels=2))
    parts = read_and_split(spec)[1]
    train = parts["train"]
    general, task = spec.phases
    text = phase_dataset(general, parts)
    assert text.column_names == ["text"] and text[0]["text"] == train[0].text
    chat = phase_dataset(task.model_copy(update={"max_rows": 5}), parts)
    assert chat.column_names == ["messages"] and len(chat) == 5
    assert chat[0]["messages"][-1] == {"role": "assistant", "content": train[0].label}


def test_a_short_phase_still_logs_its_first_and_last_loss(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    spec = load_spec(make_project(rows=60, labels=3))
    parts = read_and_split(spec)[1]
    phase = spec.phases[1].model_copy(update={"max_steps": 3, "logging_steps": 50})
    result = train_phase(spec, phase, parts, ensure_base_model(spec, parts)[0], tmp_path / "phase")
    records = [orjson.loads(line) for line in (tmp_path / "phase" / METRICS_FILE).read_bytes().splitlines()]
    assert [r["step"] for r in records] == [1, 3]
    assert result.first_loss == records[0]["loss"] and result.last_loss == records[-1]["loss"]
    assert TaskCard.load(Path(result.model_dir)) == TaskCard.from_spec(spec)
