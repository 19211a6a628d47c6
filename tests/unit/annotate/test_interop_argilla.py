"""Argilla 2 records (Parquet and JSON lines) in and out of the store, on both engines; and imported
answers feeding agreement."""

from __future__ import annotations

import re
from pathlib import Path

import krippendorff
import numpy as np
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from tests.unit.annotate.conftest import World, make_world
from tests.unit.annotate.interop_files import (
    argilla_record,
    ls_annotation,
    ls_task,
    triples,
    write_json,
    write_records,
)
from tuneloop.annotate.alpha import krippendorff_alpha
from tuneloop.annotate.interop import InteropError, export_argilla, import_argilla, import_label_studio
from tuneloop.annotate.reliability import ReliabilityMatrix
from tuneloop.annotate.store import Store, claim_next, export_records, submit
from tuneloop.annotate.store.models import Annotation, Item

U1, U2, U3 = (
    "6f0c0ad2-0b0e-4b8e-9d0a-000000000001",
    "6f0c0ad2-0b0e-4b8e-9d0a-000000000002",
    "6f0c0ad2-0b0e-4b8e-9d0a-000000000003",
)


@pytest.fixture
def target(store: Store) -> World:
    return make_world(store, items=0)


def records() -> list[dict[str, object]]:
    return [
        argilla_record(
            "r1",
            "my card has not arrived",
            [
                ("card_arrival", U1, "submitted"),
                ("card_lost", U2, "draft"),
                ("card_arrival", U3, "submitted"),
            ],
            suggestion="card_arrival",
        ),
        argilla_record("r2", "I lost my card", [("card_lost", U1, "submitted"), (None, U2, "discarded")]),
        argilla_record("r3", "what is the rate today", []),
    ]


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_only_submitted_responses_become_answers(target: World, tmp_path: Path, suffix: str) -> None:
    path = write_records(tmp_path / f"records{suffix}", records())
    with target.store.begin() as s:
        report = import_argilla(s, path, target.schema, users={U3: "ann2"})
    assert (report.items_added, report.annotations_added) == (3, 3)
    assert report.users_added == (f"argilla-{U1}",)  # U3 is mapped to the existing ann2
    assert {(x.record, x.reason) for x in report.skipped} == {
        ("record r1, response 2", f"draft, not submitted (by {U2})"),
        ("record r2, response 2", f"discarded, not submitted (by {U2})"),
    }
    assert report.notes == ("1 suggestion not imported (a model's answers, not a person's): tiny-model (1)",)
    assert triples(target.store) == {
        ("my card has not arrived", f"argilla-{U1}", '"card_arrival"'),
        ("my card has not arrived", "ann2", '"card_arrival"'),
        ("I lost my card", f"argilla-{U1}", '"card_lost"'),
    }
    with target.store.begin() as s:
        assert {i.external_id for i in s.scalars(select(Item))} == {"argilla:r1", "argilla:r2", "argilla:r3"}
        again = import_argilla(s, path, target.schema, users={U3: "ann2"})
        assert (again.items_added, again.annotations_added, again.annotations_already_present) == (0, 0, 3)
        assert s.scalar(select(func.count(Annotation.id))) == 3


@pytest.mark.parametrize(
    ("change", "skipped"),
    [
        ({"label.responses": ["card_stolen"]}, r"record r1, response 1: label 'card_stolen' does not fit"),
        ({"label.responses.users": [U1, U2]}, "record r1: 1 responses, 2 users and 1 statuses"),
        (
            {"label.responses.status": ["accepted"]},
            "record r1, response 1: response status 'accepted' is not one of",
        ),
        ({"label.responses.users": [None]}, "record r1, response 1: response user None is not a user id"),
        ({"label.responses": [None]}, "record r1, response 1: a submitted response has no value"),
        ({"text": ""}, "record r1: has no text in field 'text'"),
        ({"id": None}, "line 2: has no record id"),
        ({"id": "r0"}, "record r0: the same record id as record r0"),
    ],
)
def test_a_bad_record_or_response_is_skipped_naming_it_and_the_reason(
    target: World, tmp_path: Path, change: dict[str, object], skipped: str
) -> None:
    good = argilla_record("r0", "fine", [("card_lost", U1, "submitted")])
    bad = argilla_record("r1", "where is it", [("card_lost", U1, "submitted")]) | change
    path = write_records(tmp_path / "records.jsonl", [good, bad])
    with target.store.begin() as s:
        report = import_argilla(s, path, target.schema)
    assert report.annotations_added == 1
    [reported] = report.skipped
    assert re.match(skipped, f"{reported.record}: {reported.reason}")
    with target.store.begin() as s:
        assert s.scalar(select(func.count(Item.id))) == 1 + (", response " in skipped)


def test_a_file_with_no_readable_record_or_response_is_refused(target: World, tmp_path: Path) -> None:
    lines = tmp_path / "records.jsonl"
    lines.write_text(
        '{"id": "r1", "text": "x", "label.responses": ["card_stolen"], '
        + '"label.responses.users": ["u"], "label.responses.status": ["submitted"]}\nnot json\n'
    )
    problem = (
        r"file: its one response could not be read: record r1, response 1: label 'card_stolen' "
        "does not fit schema 'intent'"
    )
    with target.store.begin() as s, pytest.raises(InteropError, match=problem) as failure:
        import_argilla(s, lines, target.schema)
    assert str(lines) in str(failure.value)
    lines.write_text("not json\n[1]\n")
    with (
        target.store.begin() as s,
        pytest.raises(InteropError, match="none of its 2 records could be read: line 1: is not JSON"),
    ):
        import_argilla(s, lines, target.schema)
    with target.store.begin() as s:
        assert s.scalar(select(func.count(Item.id))) == 0


def test_a_missing_field_or_question_names_those_the_file_has(target: World, tmp_path: Path) -> None:
    path = write_records(tmp_path / "records.parquet", records())
    problem = r"no record answers the question 'intent' \(its questions: label\): pass --question NAME"
    with target.store.begin() as s, pytest.raises(InteropError, match=problem):
        import_argilla(s, path, target.schema, question="intent")
    problem = r"no record has the field 'body' \(its fields: text\): pass --field NAME"
    with target.store.begin() as s, pytest.raises(InteropError, match=problem):
        import_argilla(s, path, target.schema, field="body")
    with (
        target.store.begin() as s,
        pytest.raises(InteropError, match=r"expected a .parquet, .jsonl or .json"),
    ):
        import_argilla(s, write_json(tmp_path / "records.csv", []), target.schema)


def test_the_store_goes_to_argilla_and_back_unchanged(
    world: World, other_store: Store, tmp_path: Path
) -> None:
    a, b, c = world.annotators
    for user, label in [(a, "card_lost"), (b, "card_arrival"), (c, "exchange_rate"), (a, "card_lost")]:
        with world.store.begin() as s:
            item = claim_next(s, user)
            assert item is not None
            submit(s, user, item, label)
    with world.store.begin() as s:
        names = export_argilla(s, tmp_path / "out.parquet")
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [r["status"] for r in rows] == ["completed", "completed", "pending"]  # k = 2
    assert rows[0]["label.responses.status"] == ["submitted", "submitted"]
    assert sorted(names.values()) == ["ann0", "ann1", "ann2"]
    target = make_world(other_store, items=0)
    with other_store.begin() as s:
        report = import_argilla(s, tmp_path / "out.parquet", target.schema, users=names)
    assert report.annotations_added == 4 and report.users_added == ()
    assert triples(other_store) == triples(world.store)
    # without the name map people keep their UUIDs, and export gives them the same UUIDs back
    with world.store.begin() as s:
        export_argilla(s, tmp_path / "again.jsonl")
    with other_store.begin() as s:
        unmapped = import_argilla(s, tmp_path / "again.jsonl", target.schema, dataset="copy")
        assert len(unmapped.users_added) == 3
        assert set(export_argilla(s, tmp_path / "back.jsonl")) == set(names)


def test_imported_annotations_feed_agreement(target: World, tmp_path: Path) -> None:
    """Three people label 4 Label Studio tasks and 4 Argilla records; alpha over all 8 units."""
    labels = {  # unit text -> (ann0, ann1, ann2); None = not answered
        "ls-a": ("card_lost", "card_lost", "card_lost"),
        "ls-b": ("card_lost", "card_arrival", "card_lost"),
        "ls-c": ("exchange_rate", "exchange_rate", None),
        "ls-d": ("card_arrival", "card_arrival", "card_arrival"),
        "rg-a": ("card_arrival", "exchange_rate", "card_arrival"),
        "rg-b": ("card_lost", "card_lost", "exchange_rate"),
        "rg-c": ("exchange_rate", "exchange_rate", "exchange_rate"),
        "rg-d": (None, "card_lost", "card_lost"),
    }
    people = ["ann0", "ann1", "ann2"]
    ls_ids = {person: i + 1 for i, person in enumerate(people)}
    rg_ids = dict(zip(people, (U1, U2, U3), strict=True))
    tasks = [
        ls_task(
            n,
            text,
            *(
                ls_annotation(10 * n + i, ls_ids[p], label)
                for i, (p, label) in enumerate(zip(people, answers, strict=True))
                if label
            ),
        )
        for n, (text, answers) in enumerate(labels.items(), start=1)
        if text.startswith("ls")
    ]
    rows = [
        argilla_record(
            text,
            text,
            [(label, rg_ids[p], "submitted") for p, label in zip(people, answers, strict=True) if label],
        )
        for text, answers in labels.items()
        if text.startswith("rg")
    ]
    with target.store.begin() as s:
        import_label_studio(
            s, write_json(tmp_path / "ls.json", tasks), target.schema, users=ls_ids_to(ls_ids)
        )
        import_argilla(
            s, write_records(tmp_path / "rg.parquet", rows), target.schema, users=rg_ids_to(rg_ids)
        )
        records = export_records(s)
        texts = dict(s.execute(select(Item.external_id, Item.text)).tuples().all())
    matrix = ReliabilityMatrix.from_records((texts[r.external_id], r.annotator, r.label) for r in records)
    assert set(matrix.coders) == set(people) and len(matrix.units) == 8
    codes = {"card_arrival": 0.0, "card_lost": 1.0, "exchange_rate": 2.0, None: np.nan}
    expected = krippendorff.alpha(
        reliability_data=[[codes[labels[u][people.index(p)]] for u in labels] for p in people],
        level_of_measurement="nominal",
    )
    assert krippendorff_alpha(matrix) == pytest.approx(expected, abs=1e-12)
    # by hand: 22 pairable values, marginals A 6, L 9, E 7; three units split 2-1, so
    # D_o = 6/22 and D_e = 2(6*9 + 6*7 + 9*7)/(22*21) = 318/462, alpha = 1 - 126/318 = 32/53
    assert krippendorff_alpha(matrix) == pytest.approx(32 / 53, abs=1e-12)


def ls_ids_to(ids: dict[str, int]) -> dict[int, str]:
    return {number: name for name, number in ids.items()}


def rg_ids_to(ids: dict[str, str]) -> dict[str, str]:
    return {uid: name for name, uid in ids.items()}
