"""Records (a fields schema) through Label Studio (`<Labels>` regions plus one control per other
field) and Argilla (a SpanQuestion plus one question per other field): a store of records and a
gold record goes out and comes back unchanged; spans that do not match the text are refused by
name, the rest of the file read on."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import orjson
import pyarrow.parquet as pq

from tests.unit.annotate.conftest import World, make_world
from tests.unit.annotate.interop_files import triples
from tuneloop.annotate.interop import (
    export_argilla,
    export_label_studio,
    import_argilla,
    import_label_studio,
    label_studio_config,
)
from tuneloop.annotate.store import (
    Store,
    add_label_schema,
    adjudicate,
    claim_next,
    disagreements,
    import_external_items,
    submit,
)
from tuneloop.annotate.store.items import ExternalItem
from tuneloop.annotate.store.models import LabelSchema

FIELDS: list[dict[str, Any]] = [
    {"name": "company", "type": "string", "span": True},
    {"name": "amount", "type": "number", "span": True},
    {"name": "cards", "type": "list", "items": "string", "span": True},
    {"name": "date", "type": "date"},
    {"name": "channel", "type": "enum", "values": ["app", "branch"]},
]
TEXT = "Paid barclays 1,250 on the APP with my Visa and my Amex"
ANSWERS = [
    {
        "company": "Barclays",
        "amount": 1250,
        "cards": ["visa", "Amex"],
        "date": "2026-12-07",
        "channel": "app",
    },
    {"company": "barclays", "cards": ["visa"]},
]
GOLD = {"company": "barclays", "amount": 1250, "cards": ["Visa", "Amex"], "channel": "app"}


def _slots(store: Store) -> LabelSchema:
    with store.begin() as s:
        return add_label_schema(s, "slots", "fields", field_schema=FIELDS)


def _answered(world: World) -> None:
    schema = _slots(world.store)
    with world.store.begin() as s:
        import_external_items(s, [ExternalItem("t0", TEXT)], schema)
    for user, answer in zip(world.annotators, ANSWERS, strict=False):
        with world.store.begin() as s:
            item = claim_next(s, user)
            assert item is not None
            submit(s, user, item, answer)
    with world.store.begin() as s:
        (disputed,) = disagreements(s, world.reviewer)
        adjudicate(s, world.reviewer, disputed, GOLD, note="the text says 1,250")


def test_records_go_to_label_studio_as_regions_and_controls_and_back(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    world = make_world(store, items=0)
    _answered(world)
    with world.store.begin() as s:
        assert export_label_studio(s, tmp_path / "out.json") == 1
    (task,) = orjson.loads((tmp_path / "out.json").read_bytes())
    first = {
        (r["from_name"], r["type"]): r["value"]
        for r in task["annotations"][0]["result"]
        if r["type"] != "labels"
    }
    assert first == {
        ("date", "textarea"): {"text": ["2026-12-07"]},
        ("channel", "choices"): {"choices": ["app"]},
    }
    regions = [r["value"] for r in task["annotations"][0]["result"] if r["type"] == "labels"]
    assert [(v["labels"][0], TEXT[v["start"] : v["end"]], v["text"]) for v in regions] == [
        ("company", "barclays", "barclays"),
        ("amount", "1,250", "1,250"),
        ("cards", "Visa", "Visa"),
        ("cards", "Amex", "Amex"),
    ]
    assert len(task["predictions"][0]["result"]) == 5  # the gold record: four regions and the channel
    with world.store.begin() as s:
        config = ElementTree.fromstring(label_studio_config(s.get(LabelSchema, 2)))  # type: ignore[arg-type]
    labels = config.find("Labels")
    assert labels is not None and [x.get("value") for x in labels.findall("Label")] == [
        "company",
        "amount",
        "cards",
    ]
    assert [x.get("name") for x in config.findall("TextArea")] == ["date"]
    assert [c.get("value") for c in config.find("Choices").findall("Choice")] == ["app", "branch"]  # type: ignore[union-attr]
    make_world(other_store, items=0)
    schema = _slots(other_store)
    with other_store.begin() as s:
        assert import_label_studio(s, tmp_path / "out.json", schema).annotations_added == 2
    assert triples(other_store) == triples(world.store)


def test_records_go_to_argilla_as_span_and_field_questions_and_back(
    store: Store, other_store: Store, tmp_path: Path
) -> None:
    world = make_world(store, items=0)
    _answered(world)
    with world.store.begin() as s:
        names = export_argilla(s, tmp_path / "out.parquet")
    (row,) = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [
        [(TEXT[x["start"] : x["end"]], x["label"]) for x in spans] for spans in row["label.responses"]
    ] == [
        [("barclays", "company"), ("1,250", "amount"), ("Visa", "cards"), ("Amex", "cards")],
        [("barclays", "company"), ("Visa", "cards")],
    ]
    assert row["date.responses"] == ["2026-12-07"] and len(row["date.responses.users"]) == 1
    assert row["channel.suggestion"] == "app" and row["label.suggestion.agent"] == "tuneloop-adjudication:rev"
    make_world(other_store, items=0)
    schema = _slots(other_store)
    with other_store.begin() as s:
        report = import_argilla(s, tmp_path / "out.parquet", schema, users=names)
    assert report.annotations_added == 2 and report.skipped == ()
    assert triples(other_store) == triples(world.store)


def test_offsets_count_utf16_units_as_the_tools_do(store: Store, other_store: Store, tmp_path: Path) -> None:
    """An emoji is two units in the browser: the spans after it are shifted by one each way."""
    world = make_world(store, items=0)
    schema = _slots(world.store)
    text = "😀 paid barclays 1,250"
    with world.store.begin() as s:
        (item,) = import_external_items(s, [ExternalItem("e0", text)], schema)
    for user in world.annotators[:2]:
        with world.store.begin() as s:
            claimed = claim_next(s, user)
            assert claimed is not None
            submit(s, user, claimed, {"company": "barclays", "amount": 1250})
    with world.store.begin() as s:
        export_argilla(s, tmp_path / "out.jsonl")
        export_label_studio(s, tmp_path / "out.json")
    row = orjson.loads((tmp_path / "out.jsonl").read_bytes().splitlines()[0])
    assert row["label.responses"][0] == [
        {"label": "company", "start": 8, "end": 16},  # code points 7..15, after a two-unit emoji
        {"label": "amount", "start": 17, "end": 22},
    ]
    (task,) = orjson.loads((tmp_path / "out.json").read_bytes())
    assert task["annotations"][0]["result"][0]["value"]["text"] == "barclays"
    make_world(other_store, items=0)
    target = _slots(other_store)
    with other_store.begin() as s:
        assert import_argilla(s, tmp_path / "out.jsonl", target).annotations_added == 2
        assert import_label_studio(s, tmp_path / "out.json", target).annotations_added == 2
    assert {label for *_, label in triples(other_store)} == {'{"company":"barclays","amount":1250}'}
    assert item.id


def test_a_span_off_the_text_or_of_no_field_is_refused_and_the_rest_is_read(
    store: Store, tmp_path: Path
) -> None:
    make_world(store, items=0)
    schema = _slots(store)

    def region(label: str, start: int, end: int, text: str) -> dict[str, Any]:
        value = {"start": start, "end": end, "text": text, "labels": [label]}
        return {"from_name": "label", "to_name": "text", "type": "labels", "value": value}

    def annotation(n: int, *results: dict[str, Any]) -> dict[str, Any]:
        return {"id": n, "completed_by": {"id": n, "email": f"ann{n - 1}"}, "result": list(results)}

    tasks = [
        {
            "id": 1,
            "data": {"text": TEXT},
            "annotations": [
                annotation(1, region("company", 5, 13, "barclays")),
                annotation(2, region("company", 5, 13, "HSBC")),
            ],
        },
        {"id": 2, "data": {"text": TEXT}, "annotations": [annotation(1, region("colour", 0, 4, "Paid"))]},
        {
            "id": 4,
            "data": {"text": TEXT},
            "annotations": [annotation(1, {**region("company", 5, 13, "barclays"), "from_name": "ner"})],
        },
        {
            "id": 3,
            "data": {"text": TEXT},
            "annotations": [annotation(1), annotation(2, region("amount", 14, 19, "1,250"))],
        },
    ]
    (tmp_path / "in.json").write_bytes(orjson.dumps(tasks))
    with store.begin() as s:
        report = import_label_studio(s, tmp_path / "in.json", schema)
    assert report.annotations_added == 3
    reasons = [x.reason for x in report.skipped]
    assert any("span 5..13 says 'HSBC', the text has 'barclays' there" in r for r in reasons)
    assert any("a span labelled 'colour', not an extractive field" in r for r in reasons)
    assert any("results from ner, which is neither the regions' control 'label'" in r for r in reasons)
    assert {label for *_, label in triples(store)} == {
        '{"company":"barclays"}',
        "{}",
        '{"amount":1250}',
    }
