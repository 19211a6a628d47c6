"""Label Studio files as Label Studio writes and reads them: its own test export, tasks without ids
or without a data object, every form of `completed_by`, predictions, cancelled annotations, one or
several choices, `to_name`; and one bad task or annotation skipped, not the whole file refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.unit.annotate.conftest import World, make_world
from tests.unit.annotate.interop_files import ASSETS, ls_annotation, ls_task, triples, write_json
from tuneloop.annotate.interop import InteropError, import_label_studio
from tuneloop.annotate.store import Store, add_label_schema
from tuneloop.annotate.store.models import Item

OWN_EXPORT = ASSETS / "label-studio" / "tasks_annotations_predictions.json"


@pytest.fixture
def target(store: Store) -> World:
    return make_world(store, items=0)


def test_label_studios_own_test_export_is_read_as_label_studio_reads_it(
    target: World, tmp_path: Path
) -> None:
    """No task ids, no completed_by, two tasks without a data object, predictions beside annotations."""
    path = shutil.copy(OWN_EXPORT, tmp_path / OWN_EXPORT.name)
    with target.store.begin() as s:
        schema = add_label_schema(
            s, "ls-test", "single_label", ["class_A", "class_TESTING", "class_PREDICTIONS_TESTING"]
        )
    default = r"no annotation has a result from 'label'; the results come from text_class \(to text\)"
    with target.store.begin() as s, pytest.raises(InteropError, match=default):
        import_label_studio(s, path, schema)  # its control is text_class, not the default label
    with target.store.begin() as s:
        report = import_label_studio(s, path, schema, from_name="text_class")
    assert (report.items_added, report.annotations_added) == (6, 3)
    assert report.users_added == ("label-studio-unattributed",)
    assert [(x.record, x.reason) for x in report.skipped] == [
        (
            "task #2, annotation #1",
            "label-studio-unattributed answered again later (task #2, annotation #2)",
        )
    ]
    assert report.notes == (
        "6 tasks without an id: each is keyed by its position in the file "
        "(label-studio:tasks_annotations_predictions.json#N), so the same file imports once, and a "
        "renamed or reordered copy imports as new items",
        "2 tasks without a data object (task #4, task #5): their own fields are the data, as Label "
        "Studio reads them",
        "4 annotations without completed_by: answers of one user, label-studio-unattributed (Label "
        "Studio gives them to the person importing the file)",
        "3 predictions not imported (a model's answers, not a person's): model_version_A (2), "
        "no model_version (1)",
    )
    with target.store.begin() as s:
        items = list(s.scalars(select(Item).order_by(Item.id)))
        assert [i.text for i in items] == ["Test example phrase 1", "x2", "yoyo", "zzz", "vivi", "opop"]
        assert items[3].external_id == "label-studio:tasks_annotations_predictions.json#4"
    assert triples(target.store) == {
        ("Test example phrase 1", "label-studio-unattributed", '"class_A"'),
        ("x2", "label-studio-unattributed", '"class_A"'),
        ("yoyo", "label-studio-unattributed", '"class_TESTING"'),
    }
    with target.store.begin() as s:
        again = import_label_studio(s, path, schema, from_name="text_class")
    assert (again.items_added, again.annotations_added, again.items_already_present) == (0, 0, 6)


def test_completed_by_is_null_an_id_or_an_object(target: World, tmp_path: Path) -> None:
    expanded = {"id": 7, "email": "cleo@example.org", "first_name": "Cleo", "last_name": ""}
    tasks = [
        ls_task(
            1,
            "my card has not arrived",
            ls_annotation(11, None, "card_arrival"),
            ls_annotation(12, 3, "card_arrival"),
            ls_annotation(13, expanded, "card_lost"),
            ls_annotation(14, {"id": 8}, "card_lost"),
        )
    ]
    with target.store.begin() as s:
        report = import_label_studio(s, write_json(tmp_path / "p.json", tasks), target.schema)
    assert report.annotations_added == 4 and report.skipped == ()
    assert set(report.users_added) == {
        "label-studio-unattributed",
        "label-studio-user-3",
        "cleo@example.org",
        "label-studio-user-8",
    }
    assert "1 annotation without completed_by" in report.notes[0]


def test_choices_hold_one_value_or_several_as_the_schema_says(store: Store, tmp_path: Path) -> None:
    world = make_world(store, items=0)
    with store.begin() as s:
        multi = add_label_schema(s, "topics", "multi_label", ["card_arrival", "card_lost", "exchange_rate"])
    tasks = [
        ls_task(
            1, "one", ls_annotation(11, 1, ["card_lost"]), ls_annotation(12, 2, ["card_lost", "card_arrival"])
        ),
        ls_task(2, "two", ls_annotation(21, 1, "exchange_rate")),
    ]
    path = write_json(tmp_path / "multi.json", tasks)
    with store.begin() as s:
        assert import_label_studio(s, path, multi, project="m").annotations_added == 3
    answers = {(text, who): label for text, who, label in triples(store)}
    assert answers[("one", "label-studio-user-2")] == '["card_arrival","card_lost"]'
    assert answers[("two", "label-studio-user-1")] == '["exchange_rate"]'
    # a single_label schema reads one choice: the annotation with two is skipped, the others kept
    with store.begin() as s:
        single = import_label_studio(s, path, world.schema, project="s")
    assert single.annotations_added == 2
    assert [(x.record, x.reason) for x in single.skipped] == [
        ("task 1, annotation 12", "a single_label answer is one choice, not ['card_lost', 'card_arrival']")
    ]


def test_one_bad_task_is_skipped_with_its_number_and_reason(target: World, tmp_path: Path) -> None:
    tasks = [
        ls_task(1, "fine", ls_annotation(11, 1, "card_lost")),
        "not a task",
        {"id": 3, "data": {"body": "no text"}},
        ls_task(1, "the same id again"),
        ls_task(5, "bad annotations", {"id": 51, "result": "x"}, ls_annotation(52, True, "card_lost")),
        {"id": 6, "data": {"text": "fine too"}, "annotations": {"not": "a list"}},
        {"id": [7], "data": {"text": "odd id"}},
    ]
    with target.store.begin() as s:
        report = import_label_studio(s, write_json(tmp_path / "p.json", tasks), target.schema)
    assert (report.items_added, report.annotations_added) == (2, 1)
    assert [(x.record, x.reason) for x in report.skipped] == [
        ("task #2", "a task is an object, not 'not a task'"),
        ("task 3", "has no text in data.text (its data fields: body; pass --field NAME)"),
        ("task 1", "the same task id as task 1"),
        ("task 5, annotation 51", "has no result list"),
        ("task 5, annotation 52", "completed_by True is neither a user id nor an object with an email"),
        ("task 6", "annotations is not a list"),
        ("task #7", "its id [7] is not a task id"),
    ]


def test_to_name_chooses_among_results_on_several_objects(target: World, tmp_path: Path) -> None:
    annotation = ls_annotation(11, 1, "card_lost")
    on_title = dict(annotation["result"][0], to_name="title", value={"choices": ["exchange_rate"]})
    annotation["result"].append(on_title)
    path = write_json(
        tmp_path / "p.json", [ls_task(1, "t", annotation), ls_task(2, "u", ls_annotation(21, 2, "card_lost"))]
    )
    with target.store.begin() as s:
        both = import_label_studio(s, path, target.schema)
    assert [(x.record, x.reason) for x in both.skipped] == [
        (
            "task 1, annotation 11",
            "has 2 results from 'label' (to text, title); expected one (pass --to-name to choose the object)",
        )
    ]
    with target.store.begin() as s:
        titled = import_label_studio(s, path, target.schema, to_name="title", project="titles")
    assert titled.annotations_added == 1
    assert [x.reason for x in titled.skipped] == ["no result from 'label' to 'title' (nothing chosen)"]
    assert ("t", "label-studio-user-1", '"exchange_rate"') in triples(target.store)


def test_a_file_with_nothing_readable_is_refused_with_the_first_reasons(
    target: World, tmp_path: Path
) -> None:
    tasks = [{"id": n, "data": {"body": f"b{n}"}} for n in range(1, 6)]
    path = write_json(tmp_path / "p.json", tasks)
    problem = (
        r"file: none of its 5 tasks could be read: task 1: has no text in data.text \(its data fields: "
        r"body; pass --field NAME\); task 2: .*; task 3: .*; and 2 more"
    )
    with target.store.begin() as s, pytest.raises(InteropError, match=problem):
        import_label_studio(s, path, target.schema)
    with target.store.begin() as s:
        assert import_label_studio(s, path, target.schema, text_field="body").items_added == 5
