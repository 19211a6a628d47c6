"""Importing items from a DatasetVersion part and from model outputs, once per source."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.annotate.conftest import World
from tuneloop.annotate.store import StoreError, import_items, import_model_outputs
from tuneloop.annotate.store.items import FeedbackItem, ModelOutput, import_feedback_items, item_origin
from tuneloop.data.example import Example, build_messages
from tuneloop.data.version import DatasetVersion, write_dataset_version


def _version(path: Path) -> tuple[list[Example], DatasetVersion]:
    rows = [
        Example(build_messages(text, label, "Classify."), label, f"train.csv:{i + 2}", {"channel": channel})
        for i, (text, label, channel) in enumerate(
            [("my card has not come", "card_arrival", "app"), ("I lost my card", "card_lost", "phone")]
        )
    ]
    return rows, write_dataset_version({"train": rows}, [], len(rows), path)


def test_a_dataset_part_becomes_items_once(world: World, tmp_path: Path) -> None:
    rows, version = _version(tmp_path / "data")
    with world.store.begin() as s:
        items = import_items(s, version, "train", world.schema, overlap=3, domain_slice="channel")
        again = import_items(s, version, "train", world.schema)
        assert again == []
        assert [(i.external_id, i.text, i.part, i.row_id, i.domain, i.overlap) for i in items] == [
            (rows[0].id, "my card has not come", "train", 0, "app", 3),
            (rows[1].id, "I lost my card", "train", 1, "phone", 3),
        ]
        assert {i.dataset_version for i in items} == {version.hash}
        with pytest.raises(StoreError, match="unknown part"):
            import_items(s, version, "dev", world.schema)


def test_model_outputs_are_keyed_by_model_run_and_phase(world: World) -> None:
    out = ModelOutput(id="ex0", text="where is my card 0?", model="tiny", run="run-2", phase="2-task")
    with world.store.begin() as s:
        assert [i.run for i in import_model_outputs(s, [out], world.schema)] == ["run-2"]
        assert import_model_outputs(s, [out], world.schema) == []  # the same output again adds nothing
        with pytest.raises(StoreError, match="overlap must be >= 2"):
            import_model_outputs(s, [out], world.schema, overlap=1)


def test_inputs_from_the_models_use_are_routed_once_per_reference_with_their_suggestion(world: World) -> None:
    routed = [
        FeedbackItem("feedback_correction", "chatcmpl-1", "where is my card", "m", "run-1", "card_arrival"),
        FeedbackItem(
            "low_confidence", "chatcmpl-1", "where is my card", suggestion="card_lost", confidence=0.3
        ),
        FeedbackItem("low_confidence", "chatcmpl-2", "rate?", suggestion="no such label", confidence=0.4),
        FeedbackItem("review_candidate", "run-1/p7", "lost it", suggestion="card_lost"),
    ]
    with world.store.begin() as s:
        items = import_feedback_items(s, routed, world.schema, overlap=3)
        assert [(item_origin(i.source_key), i.external_id, i.suggestion_label) for i in items] == [
            ("feedback_correction", "chatcmpl-1", "card_arrival"),  # the first origin of a reference wins
            ("low_confidence", "chatcmpl-2", None),  # a suggestion that fits no label is left out
            ("review_candidate", "run-1/p7", "card_lost"),
        ]
        assert items[0].suggestion_confidence is None and items[0].closed_at is None
        assert items[0].source_key == "feedback:feedback_correction:chatcmpl-1" and items[0].overlap == 3
        later = [
            FeedbackItem("thumbs_down", "chatcmpl-2", "rate?"),
            FeedbackItem("thumbs_down", "chatcmpl-3", "hi"),
        ]
        assert [i.external_id for i in import_feedback_items(s, later, world.schema)] == ["chatcmpl-3"]
        with pytest.raises(StoreError, match="unknown origin guess"):
            import_feedback_items(s, [FeedbackItem("guess", "x", "y")], world.schema)
    assert item_origin("dataset:abc:train:0") is None and item_origin("feedback:nonsense:1") is None
