"""Argilla 2 records as Argilla's own code writes them (`records.to_json`, `to_list(flatten=True)`
saved with `json.dump`; tests/assets/argilla/README.md says how the files were made), and the
nested layout with other field and question names."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from tests.unit.annotate.conftest import World, make_world
from tests.unit.annotate.interop_files import ASSETS, triples
from tuneloop.annotate.interop import InteropError, import_argilla
from tuneloop.annotate.store import Store

U1, U2, U3 = (f"argilla-7d3bb0a5-2c54-4e8e-a0ff-0c0f5f1a000{n}" for n in (1, 2, 3))
SUGGESTED = "2 suggestions not imported (a model's answers, not a person's): tiny-intent-v1 (2)"


@pytest.fixture
def target(store: Store) -> World:
    return make_world(store, items=0)


def test_to_json_records_are_read_with_their_responses_taken_as_submitted(
    target: World, tmp_path: Path
) -> None:
    """The nested layout keeps no response status: all seven responses are answers, and a note says so."""
    path = shutil.copy(ASSETS / "argilla" / "records.json", tmp_path / "records.json")
    with target.store.begin() as s:
        report = import_argilla(s, path, target.schema)
    assert (report.items_added, report.annotations_added, report.skipped) == (4, 7, ())
    assert report.notes == (
        "7 responses without a status (the nested layout of Argilla's records.to_json and to_list() "
        "does not keep it): read as submitted, so drafts and discarded responses, if any, count as "
        "answers; to_list(flatten=True) and to_hub keep it",
        SUGGESTED,
        "not imported: metadata channel",
    )
    assert ("my card has not arrived yet", U2, '"card_lost"') in triples(target.store)  # a draft


def test_flattened_records_keep_drafts_and_discarded_responses_out(target: World, tmp_path: Path) -> None:
    path = shutil.copy(ASSETS / "argilla" / "records_flat.json", tmp_path / "records_flat.json")
    with target.store.begin() as s:
        report = import_argilla(s, path, target.schema)
    assert (report.items_added, report.annotations_added) == (4, 5)
    assert [(x.record, x.reason.split(" (")[0]) for x in report.skipped] == [
        ("record banking-0001, response 2", "draft, not submitted"),
        ("record banking-0002, response 2", "discarded, not submitted"),
    ]
    assert report.notes == (SUGGESTED, "not imported: column channel")
    assert triples(target.store) == {
        ("my card has not arrived yet", U1, '"card_arrival"'),
        ("my card has not arrived yet", U3, '"card_arrival"'),
        ("I think I lost my card", U1, '"card_lost"'),
        ("how long does a new card take to come", U2, '"card_arrival"'),
        ("how long does a new card take to come", U3, '"card_arrival"'),
    }
    with target.store.begin() as s:
        again = import_argilla(s, path, target.schema)
    assert (again.items_added, again.annotations_added, again.annotations_already_present) == (0, 0, 5)


def test_nested_records_with_other_field_and_question_names(store: Store, tmp_path: Path) -> None:
    world = make_world(store, items=0)
    nested = [
        {
            "id": "q1",
            "fields": {"prompt": "where is my card", "answer": "on its way"},
            "responses": {
                "intent": [{"value": "card_arrival", "user_id": "u1", "status": "submitted"}],
                "quality": [{"value": 4, "user_id": "u1"}],
            },
            "suggestions": {"intent": {"value": "card_lost", "score": None, "agent": None}},
            "status": "completed",
        }
    ]
    path = tmp_path / "records.json"
    path.write_bytes(orjson.dumps(nested))
    with store.begin() as s, pytest.raises(InteropError, match="its questions: intent, quality"):
        import_argilla(s, path, world.schema, field="prompt")
    with store.begin() as s:
        report = import_argilla(s, path, world.schema, field="prompt", question="intent")
    assert report.annotations_added == 1
    assert report.notes == (
        "1 suggestion not imported (a model's answers, not a person's): no agent (1)",
        "not imported: field answer, question quality",
    )
    assert triples(store) == {("where is my card", "argilla-u1", '"card_arrival"')}
