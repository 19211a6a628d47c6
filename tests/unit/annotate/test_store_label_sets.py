"""A multi_label schema's answers: known labels, each once, within the schema's bounds, stored in
schema order; the bounds themselves are checked when the schema is made; differing sets go to
adjudication by the schema's MASI threshold."""

from __future__ import annotations

import pytest

from tests.unit.annotate.conftest import World, make_world
from tuneloop.annotate.store import (
    Store,
    add_label_schema,
    claim_next,
    disagreements,
    import_external_items,
    submit,
)
from tuneloop.annotate.store.errors import InvalidLabel, StoreError
from tuneloop.annotate.store.items import ExternalItem
from tuneloop.annotate.store.labels import check_label, same_label

LABELS = ["why", "card", "change", "pin"]


def test_a_set_is_stored_in_schema_order_within_its_bounds(store: Store) -> None:
    with store.begin() as s:
        schema = add_label_schema(s, "modules", "multi_label", LABELS, bounds=(1, 2))
        assert (schema.min_labels, schema.max_labels) == (1, 2)
        assert check_label(schema, ["pin", "why"]) == ["why", "pin"]
        assert check_label(schema, ("card",)) == ["card"]
        with pytest.raises(InvalidLabel, match="pick at least 1 label"):
            check_label(schema, [])
        with pytest.raises(InvalidLabel, match=r"pick at most 2 label\(s\); this answer has 3"):
            check_label(schema, ["why", "card", "pin"])
        with pytest.raises(InvalidLabel, match="names each label once; why twice"):
            check_label(schema, ["why", "why"])
        with pytest.raises(InvalidLabel, match="cheque not among the labels"):
            check_label(schema, ["cheque"])
        with pytest.raises(InvalidLabel, match="is a list of labels"):
            check_label(schema, "why, card")


def test_without_bounds_any_subset_goes_and_sets_compare_as_sets(store: Store) -> None:
    with store.begin() as s:
        schema = add_label_schema(s, "open", "multi_label", LABELS)
        assert check_label(schema, []) == [] and len(check_label(schema, LABELS[::-1])) == 4
    assert same_label(["card", "why"], ["why", "card"]) and not same_label(["why"], ["why", "card"])
    assert same_label("why", "why") and not same_label("why", ["why"])


@pytest.mark.parametrize(
    ("kind", "bounds"), [("single_label", (0, 1)), ("multi_label", (2, 1)), ("multi_label", (0, 5))]
)
def test_bounds_need_a_multi_label_schema_and_fit_its_labels(
    store: Store, kind: str, bounds: tuple[int, int]
) -> None:
    with store.begin() as s, pytest.raises(StoreError, match="label bounds"):
        add_label_schema(s, "bad", kind, LABELS, bounds=bounds)


def _closed(world: World, dispute_masi: float | None, answers: list[list[str]]) -> bool:
    """Whether one item of label sets, answered by three people with `answers`, is in dispute."""
    with world.store.begin() as s:
        schema = add_label_schema(s, "modules", "multi_label", LABELS, dispute_masi=dispute_masi)
        (item,) = import_external_items(s, [ExternalItem("x", "why is my card blocked?", overlap=3)], schema)
    for person, answer in zip(world.annotators, answers, strict=True):
        with world.store.begin() as s:
            claimed = claim_next(s, person)
            assert claimed is not None and claimed.id == item.id
            submit(s, person, claimed, answer)
    with world.store.begin() as s:
        return [i.id for i in disagreements(s)] == [item.id]


@pytest.mark.parametrize(
    ("dispute_masi", "answers", "disputed"),
    [
        (None, [["why", "card"], ["why", "card"], ["why"]], True),  # any difference
        (0.7, [["why", "card"], ["why", "card"], ["why"]], False),  # MASI 0.667: card by 2 of 3 decides
        (0.5, [["why", "card"], ["why", "card"], ["why"]], True),  # further apart than 0.5
        (0.9, [["why", "card"], ["why", "card"], ["why", "card"]], False),  # the same set
        (1.0, [["why"], ["card"], ["why", "card"]], False),  # each label by 2 of 3; no set is past 1
        (0.9, [["why"], ["pin"], ["card"]], True),  # disjoint sets: MASI 1
    ],
)
def test_close_sets_are_decided_per_label_and_far_ones_adjudicated(
    store: Store, dispute_masi: float | None, answers: list[list[str]], disputed: bool
) -> None:
    assert _closed(make_world(store, items=0), dispute_masi, answers) is disputed


def test_dispute_masi_needs_a_multi_label_schema(store: Store) -> None:
    with store.begin() as s, pytest.raises(StoreError, match=r"dispute_masi 0\.5 needs a multi_label schema"):
        add_label_schema(s, "one", "single_label", LABELS, dispute_masi=0.5)
