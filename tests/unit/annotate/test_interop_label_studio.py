"""Label Studio JSON in and out of the store, on both engines."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from tests.unit.annotate.conftest import World, make_world
from tests.unit.annotate.interop_files import ls_annotation, ls_task, triples, write_json
from tuneloop.annotate.interop import InteropError, export_label_studio, import_label_studio
from tuneloop.annotate.store import Store, adjudicate, claim_next, submit
from tuneloop.annotate.store.models import Annotation, AuditEntry, Item, User
from tuneloop.annotate.store.repository import get

EMAIL = {"id": 3, "email": "cleo@example.org", "first_name": "Cleo", "last_name": ""}


@pytest.fixture
def target(store: Store) -> World:
    """Users, guidelines and the intent schema, but no items yet."""
    return make_world(store, items=0)


def project_file(tmp_path: Path) -> Path:
    return write_json(
        tmp_path / "project.json",
        [
            ls_task(
                1,
                "my card has not arrived",
                ls_annotation(11, 1, "card_arrival"),
                ls_annotation(12, 2, "card_arrival"),
                ls_annotation(13, EMAIL, "card_lost"),
                predictions=[{"model_version": "v1", "result": []}],
            ),
            ls_task(
                2,
                "I lost my card",
                ls_annotation(21, 1, "card_lost"),
                ls_annotation(22, 2, "exchange_rate", cancelled=True),
            ),
            ls_task(3, "what is the rate today"),
        ],
    )


def test_tasks_become_items_and_annotations_answers_with_what_was_skipped_said(
    target: World, tmp_path: Path
) -> None:
    path = project_file(tmp_path)
    with target.store.begin() as s:
        report = import_label_studio(s, path, target.schema, users={2: "ann1"}, by=target.admin)
    assert (report.items_added, report.annotations_added) == (3, 4)
    assert report.users_added == ("label-studio-user-1", "cleo@example.org")  # user 2 mapped to ann1
    assert [(x.record, x.reason) for x in report.skipped] == [
        ("task 2, annotation 22", "cancelled (skipped) in Label Studio")
    ]
    assert report.notes == (  # predictions are counted, not listed one by one
        "1 cancelled annotation skipped",
        "1 prediction not imported (a model's answers, not a person's): v1 (1)",
    )
    with target.store.begin() as s:
        items = {i.external_id: i for i in s.scalars(select(Item))}
        assert set(items) == {"label-studio:1", "label-studio:2", "label-studio:3"}
        # three people answered task 1: its k is raised to 3 (rather than dropping an answer); it closed
        assert (items["label-studio:1"].overlap, items["label-studio:1"].closed_at is not None) == (3, True)
        assert (items["label-studio:2"].overlap, items["label-studio:2"].closed_at) == (2, None)
        new_users = s.scalars(select(User).where(User.name.in_(report.users_added)))
        assert {u.role for u in new_users} == {"annotator"}
        marked = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "user.import"))
        assert [d["source"] for d in marked] == ["label-studio", "label-studio"]
        imported = list(s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "annotation.import")))
        assert sorted(d["external_id"] for d in imported) == ["11", "12", "13", "21"]
        assert {d["created_at"] for d in imported} == {"2024-05-01T10:00:00.000000Z"}
    assert triples(target.store) == {
        ("my card has not arrived", "label-studio-user-1", '"card_arrival"'),
        ("my card has not arrived", "ann1", '"card_arrival"'),
        ("my card has not arrived", "cleo@example.org", '"card_lost"'),
        ("I lost my card", "label-studio-user-1", '"card_lost"'),
    }


def test_importing_the_same_file_twice_adds_nothing(target: World, tmp_path: Path) -> None:
    path = project_file(tmp_path)
    with target.store.begin() as s:
        import_label_studio(s, path, target.schema)
    with target.store.begin() as s:
        again = import_label_studio(s, path, target.schema)
        assert (again.items_added, again.annotations_added, again.users_added) == (0, 0, ())
        assert (again.items_already_present, again.annotations_already_present) == (3, 4)
        assert s.scalar(select(func.count(Annotation.id))) == 4
        assert s.scalar(select(func.count(Item.id))) == 3


def test_a_bad_annotation_is_skipped_with_its_reason_and_the_rest_imported(
    target: World, tmp_path: Path
) -> None:
    path = write_json(
        tmp_path / "bad.json",
        [
            ls_task(1, "fine task", ls_annotation(11, 1, "card_lost"), ls_annotation(12, 2, "card_lost")),
            ls_task(2, "bad task", ls_annotation(21, 1, "card_stolen"), ls_annotation(22, 2, "card_lost")),
        ],
    )
    with target.store.begin() as s:
        report = import_label_studio(s, path, target.schema)
    assert (report.items_added, report.annotations_added) == (2, 3)
    [bad] = report.skipped
    assert bad.record == "task 2, annotation 21" and "label 'card_stolen' does not fit" in bad.reason
    assert ("bad task", "label-studio-user-2", '"card_lost"') in triples(target.store)


def test_an_error_while_writing_also_leaves_nothing(target: World, tmp_path: Path) -> None:
    """The admin may not annotate: found only when task 2 is loaded, after task 1 was written."""
    path = write_json(
        tmp_path / "admin.json",
        [
            ls_task(1, "fine task", ls_annotation(11, 1, "card_lost")),
            ls_task(2, "admin task", ls_annotation(21, 9, "card_lost")),
        ],
    )
    problem = r"task 2, annotation 21: ada is 'admin'.*may not annotate"
    with target.store.begin() as s, pytest.raises(InteropError, match=problem):
        import_label_studio(s, path, target.schema, users={9: "ada"})
    with target.store.begin() as s:
        assert s.scalar(select(func.count(Item.id))) == 0
        assert s.scalar(select(func.count(Annotation.id))) == 0


@pytest.mark.parametrize(
    ("tasks", "problem"),
    [
        ({"id": 1}, "file: a Label Studio JSON export is a list of tasks"),
        (
            [{"id": 1, "data": {"body": "x"}}],
            r"file: its one task could not be read: task 1: has no text in data.text "
            r"\(its data fields: body; pass --field NAME\)",
        ),
        (
            [ls_task(1, "x", ls_annotation(11, 1, "card_lost", from_name="intent"))],
            r"no annotation has a result from 'label'; the results come from intent \(to text\) "
            r"\(name the control with --from-name, and the object with --to-name\)",
        ),
        (
            [ls_task(1, "x", ls_annotation(11, {"id": "a", "email": " "}, "card_lost"))],
            "its one annotation could not be read: task 1, annotation 11: completed_by .* is neither",
        ),
        (
            [ls_task(n, "x", ls_annotation(n, 1, ["card_lost", "card_arrival"])) for n in (1, 2, 3, 4)],
            r"none of its 4 annotations could be read: task 1, annotation 1: a single_label answer is "
            r"one choice, not \['card_lost', 'card_arrival'\]; .*; and 1 more",
        ),
    ],
)
def test_invalid_files_fail_naming_the_file_the_record_and_the_problem(
    target: World, tmp_path: Path, tasks: object, problem: str
) -> None:
    path = write_json(tmp_path / "project.json", tasks)
    with target.store.begin() as s, pytest.raises(InteropError, match=problem):
        import_label_studio(s, path, target.schema)


def test_an_item_already_in_the_store_keeps_its_k(target: World, tmp_path: Path) -> None:
    first = [ls_task(1, "t", ls_annotation(11, 1, "card_lost"), ls_annotation(12, 2, "card_lost"))]
    with target.store.begin() as s:
        import_label_studio(s, write_json(tmp_path / "a.json", first), target.schema)
    grown = [
        ls_task(
            1,
            "t",
            ls_annotation(11, 1, "card_lost"),
            ls_annotation(12, 2, "card_arrival"),  # changed in Label Studio since
            ls_annotation(13, 3, "card_lost"),  # a third annotator since
        )
    ]
    with target.store.begin() as s:
        report = import_label_studio(s, write_json(tmp_path / "b.json", grown), target.schema)
    assert report.annotations_added == 0 and report.annotations_already_present == 1
    reasons = {x.record: x.reason for x in report.skipped}
    assert "already answered 'card_lost'" in reasons["task 1, annotation 12"]
    assert "closed" in reasons["task 1, annotation 13"]


def test_a_person_answering_a_task_twice_keeps_their_last_answer(target: World, tmp_path: Path) -> None:
    tasks = [ls_task(1, "t", ls_annotation(11, 1, "card_lost"), ls_annotation(12, 1, "card_arrival"))]
    with target.store.begin() as s:
        report = import_label_studio(s, write_json(tmp_path / "p.json", tasks), target.schema)
    assert [(x.record, x.reason) for x in report.skipped] == [
        ("task 1, annotation 11", "label-studio-user-1 answered again later (task 1, annotation 12)")
    ]
    assert triples(target.store) == {("t", "label-studio-user-1", '"card_arrival"')}


def test_the_store_goes_to_label_studio_and_back_unchanged(
    world: World, other_store: Store, tmp_path: Path
) -> None:
    a, b, c = world.annotators
    plan = [(a, "card_lost"), (b, "card_arrival"), (a, "card_lost"), (c, "card_lost"), (b, "exchange_rate")]
    for user, label in plan:
        with world.store.begin() as s:
            item = claim_next(s, user)
            assert item is not None
            submit(s, user, item, label)
    with world.store.begin() as s:
        disputed = get(s, Item, world.items[0].id)
        adjudicate(s, world.reviewer, disputed, "card_lost", note="lost, not late")
        assert export_label_studio(s, tmp_path / "out.json") == 3
    tasks = orjson.loads((tmp_path / "out.json").read_bytes())
    assert tasks[0]["predictions"][0]["model_version"] == "tuneloop-adjudication:rev"
    assert tasks[0]["predictions"][0]["result"][0]["value"] == {"choices": ["card_lost"]}
    assert tasks[0]["annotations"][0]["completed_by"]["email"] == "ann0"

    target = make_world(other_store, items=0)
    with other_store.begin() as s:
        report = import_label_studio(s, tmp_path / "out.json", target.schema)
    assert report.annotations_added == 5 and report.users_added == ()  # ann0..2 matched by name
    assert triples(other_store) == triples(world.store)


def test_mapped_names_match_as_the_store_writes_them_and_a_blank_one_fails(
    target: World, tmp_path: Path
) -> None:
    path = write_json(tmp_path / "p.json", [ls_task(1, "t", ls_annotation(11, 1, "card_lost"))])
    with target.store.begin() as s:
        assert import_label_studio(s, path, target.schema, users={1: " ann0 "}).users_added == ()
    other = write_json(tmp_path / "q.json", [ls_task(2, "u", ls_annotation(21, 5, "card_lost"))])
    with (
        target.store.begin() as s,
        pytest.raises(InteropError, match="task 2, annotation 21: cannot add user"),
    ):
        import_label_studio(s, other, target.schema, users={5: "  "})
