"""Label sets through Label Studio (`<Choices choice="multiple">`) and Argilla (a MultiLabelQuestion's
list of labels): a store of multi_label answers and a gold set goes out and comes back unchanged."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import orjson
import pyarrow.parquet as pq
import pytest

from tests.unit.annotate.conftest import LABELS, World, make_world
from tests.unit.annotate.interop_files import triples
from tuneloop.annotate.interop import (
    InteropError,
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

ANSWERS = [["card_lost", "exchange_rate"], ["card_lost"], [], ["card_arrival"]]


def _topics(world: World) -> LabelSchema:
    with world.store.begin() as s:
        return add_label_schema(s, "topics", "multi_label", LABELS, bounds=(0, 2), by=world.admin)


def _answered(world: World) -> None:
    """Two items of label sets, each answered by two people (they differ on both); the first is
    adjudicated to a set neither gave, sent in another order than the schema's."""
    schema = _topics(world)
    with world.store.begin() as s:
        import_external_items(s, [ExternalItem(f"t{i}", f"lost card {i} abroad") for i in range(2)], schema)
    a, b, _ = world.annotators
    for user, answer in zip([a, b, a, b], ANSWERS, strict=True):
        with world.store.begin() as s:
            item = claim_next(s, user)
            assert item is not None
            submit(s, user, item, answer)
    with world.store.begin() as s:
        assert claim_next(s, world.annotators[2]) is None  # both items are closed (k = 2)
        disputed = disagreements(s, world.reviewer)
        adjudicate(s, world.reviewer, disputed[0], ["card_lost", "card_arrival"], note="both asked")


def test_label_sets_go_to_label_studio_and_back(store: Store, other_store: Store, tmp_path: Path) -> None:
    world = make_world(store, items=0)
    _answered(world)
    with world.store.begin() as s:
        assert export_label_studio(s, tmp_path / "out.json") == 2
    tasks = orjson.loads((tmp_path / "out.json").read_bytes())
    values = [a["result"][0]["value"]["choices"] for t in tasks for a in t["annotations"]]
    assert values == ANSWERS
    assert tasks[0]["predictions"][0]["result"][0]["value"] == {"choices": ["card_arrival", "card_lost"]}
    target = make_world(other_store, items=0)
    with other_store.begin() as s:
        schema = add_label_schema(s, "topics", "multi_label", LABELS, bounds=(0, 2))
        assert import_label_studio(s, tmp_path / "out.json", schema).annotations_added == 4
    assert triples(other_store) == triples(world.store)
    assert target.schema.kind == "single_label"


def test_label_sets_go_to_argilla_and_back(store: Store, other_store: Store, tmp_path: Path) -> None:
    world = make_world(store, items=0)
    _answered(world)
    with world.store.begin() as s:
        names = export_argilla(s, tmp_path / "out.parquet")
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [r["label.responses"] for r in rows] == [ANSWERS[:2], ANSWERS[2:]]
    assert rows[0]["label.suggestion"] == ["card_arrival", "card_lost"]
    make_world(other_store, items=0)
    with other_store.begin() as s:
        schema = add_label_schema(s, "topics", "multi_label", LABELS, bounds=(0, 2))
        assert import_argilla(s, tmp_path / "out.parquet", schema, users=names).annotations_added == 4
    assert triples(other_store) == triples(world.store)


def test_the_label_studio_config_asks_for_several_choices_or_one(world: World) -> None:
    topics = _topics(world)
    config = ElementTree.fromstring(label_studio_config(topics))
    choices = config.find("Choices")
    assert choices is not None and choices.get("choice") == "multiple" and choices.get("toName") == "text"
    assert [c.get("value") for c in choices.findall("Choice")] == LABELS
    single = ElementTree.fromstring(label_studio_config(world.schema)).find("Choices")
    assert single is not None and single.get("choice") == "single"
    with world.store.begin() as s:
        rating = add_label_schema(s, "stars", "rating", ["1", "2", "3"])
    with pytest.raises(InteropError, match="not a rating schema"):
        label_studio_config(rating)
