from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tuneloop.errors import TuneloopError
from tuneloop.spec import load_spec
from tuneloop.task_card import TaskCard


def test_card_from_spec_round_trips_through_a_model_directory(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    spec = load_spec(make_project())
    card = TaskCard.from_spec(spec)
    assert (card.task, card.text_field, card.label_field) == ("classify", "text", "category")
    assert card.labels == spec.label_names and card.system == spec.prompt.system
    card.save(tmp_path)
    assert TaskCard.load(tmp_path) == card


def test_a_directory_without_a_card_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TuneloopError, match=r"no tuneloop_task\.json"):
        TaskCard.load(tmp_path)
