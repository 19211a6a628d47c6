"""A fields schema (an extract task's): records checked against the field schema and the item's
text, stored canonical; records that differ on a field's comparison key go to adjudication, and
the adjudicated record is the item's gold answer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.unit.annotate.conftest import World, make_world
from tuneloop.annotate.store import (
    Store,
    add_label_schema,
    adjudicate,
    claim_next,
    disagreements,
    import_external_items,
    submit,
)
from tuneloop.annotate.store.errors import InvalidLabel, StoreError
from tuneloop.annotate.store.items import ExternalItem
from tuneloop.annotate.store.labels import check_label
from tuneloop.annotate.store.models import LabelSchema
from tuneloop.extract.answer_check import locate

FIELDS: list[dict[str, Any]] = [
    {"name": "company", "type": "string", "span": True},
    {"name": "amount", "type": "number", "span": True},
    {"name": "date", "type": "date"},
    {"name": "channel", "type": "enum", "values": ["app", "branch"], "required": True},
]
TEXT = "I paid Barclays 1,250 pounds in the app on monday"


def _schema(store: Store) -> LabelSchema:
    with store.begin() as s:
        schema = add_label_schema(s, "slots", "fields", field_schema=FIELDS)
    return schema


def test_a_record_is_stored_canonical_and_its_span_values_must_be_in_the_text(store: Store) -> None:
    schema = _schema(store)
    answer = {"channel": "app", "amount": "1,250", "company": " Barclays ", "date": "2026-12-07"}
    stored = check_label(schema, answer, TEXT)
    assert stored == {"company": "Barclays", "amount": 1250, "date": "2026-12-07", "channel": "app"}
    assert list(stored) == ["company", "amount", "date", "channel"]
    assert check_label(schema, '{"channel": "branch"}', TEXT) == {"channel": "branch"}
    with pytest.raises(InvalidLabel, match="company: 'HSBC' does not occur in the text"):
        check_label(schema, {"company": "HSBC", "channel": "app"}, TEXT)
    with pytest.raises(InvalidLabel, match="channel is required and absent"):
        check_label(schema, {"company": "Barclays"}, TEXT)
    with pytest.raises(InvalidLabel, match="'colour' is not a field of the schema"):
        check_label(schema, {"colour": "red", "channel": "app"}, TEXT)
    with pytest.raises(InvalidLabel, match="date: a date"):
        check_label(schema, {"date": "monday", "channel": "app"}, TEXT)
    with pytest.raises(InvalidLabel, match="does not parse"):
        check_label(schema, "{channel: app", TEXT)
    with pytest.raises(InvalidLabel, match="not list"):
        check_label(schema, ["app"], TEXT)


def test_a_span_is_kept_whole_as_the_text_writes_it(store: Store) -> None:
    """Currency signs, percent signs and the dots of "p.m." are part of the span; the text's
    spelling wins over the annotator's case and spacing; a whole word before part of one."""
    with store.begin() as s:
        schema = add_label_schema(
            s,
            "money",
            "fields",
            field_schema=[{"name": n, "span": True} for n in ("amount", "rate", "at", "art")],
        )
    text = "Start art: I paid $1,250 at 4.5% until 7 P.M."
    answer = {"amount": "$1,250", "rate": "4.5%", "at": "7   p.m.", "art": "ART"}
    assert check_label(schema, answer, text) == {
        "amount": "$1,250",
        "rate": "4.5%",
        "at": "7 P.M.",
        "art": "art",
    }
    assert locate("ART", text) == (6, 9)  # "art" as a word, not the end of "Start"


def test_a_fields_schema_needs_a_field_schema_that_reads(store: Store) -> None:
    with store.begin() as s, pytest.raises(StoreError, match="needs one"):
        add_label_schema(s, "none", "fields")
    with store.begin() as s, pytest.raises(StoreError, match="listed twice"):
        add_label_schema(s, "twice", "fields", field_schema=[FIELDS[0], FIELDS[0]])
    with store.begin() as s, pytest.raises(StoreError, match="belongs to a fields schema"):
        add_label_schema(s, "labels", "single_label", ["a", "b"], field_schema=FIELDS)


def _answered(world: World, text: str, answers: list[dict[str, Any]]) -> int:
    """One item of `text` answered by the first annotators with `answers`; its id."""
    with world.store.begin() as s:
        schema = s.scalar(select(LabelSchema).where(LabelSchema.name == "slots"))
        if schema is None:
            schema = add_label_schema(s, "slots", "fields", field_schema=FIELDS)
        (item,) = import_external_items(s, [ExternalItem(text, text, overlap=len(answers))], schema)
    for person, answer in zip(world.annotators, answers, strict=False):
        with world.store.begin() as s:
            claimed = claim_next(s, person)
            assert claimed is not None and claimed.id == item.id
            submit(s, person, claimed, answer)
    return item.id


def test_records_that_differ_only_in_case_agree_and_a_differing_field_disputes(store: Store) -> None:
    world = make_world(store, items=0)
    _answered(
        world, TEXT, [{"company": "Barclays", "channel": "app"}, {"company": "barclays", "channel": "app"}]
    )
    with world.store.begin() as s:
        assert disagreements(s) == []
    disputed = _answered(world, TEXT + " again", [{"channel": "app"}, {"channel": "app", "amount": 1250}])
    with world.store.begin() as s:
        (item,) = disagreements(s)
        assert item.id == disputed
        with pytest.raises(InvalidLabel, match="does not occur in the text"):
            adjudicate(s, world.reviewer, item, {"channel": "app", "amount": 99})
    with world.store.begin() as s:
        (item,) = disagreements(s)
        decision = adjudicate(s, world.reviewer, item, {"amount": "1250", "channel": "app"}, note="1,250")
        assert decision.label == {"amount": 1250, "channel": "app"}
        assert [a.label for a in decision.overridden] == [{"channel": "app"}]
