"""Suggestions in the store, on SQLite and PostgreSQL: stored with their provenance, replaced as a
whole by the next model's (no stale one left), checked against the schema, label sets too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.unit.annotate.conftest import World
from tuneloop.annotate.store import add_label_schema, claim_next, import_external_items, submit
from tuneloop.annotate.store.errors import InvalidLabel, StoreError
from tuneloop.annotate.store.items import ExternalItem, FeedbackItem, import_feedback_items
from tuneloop.annotate.store.label_issues import queue_issue
from tuneloop.annotate.store.models import AuditEntry, Item
from tuneloop.annotate.store.suggestions import (
    NewSuggestion,
    hashed_blind,
    replace_suggestions,
    suggestion_counts,
    suggestion_for,
    switch_off,
)

PROBS = {"card_arrival": 0.7, "card_lost": 0.2, "exchange_rate": 0.1}


def test_a_new_model_replaces_every_suggestion_and_leaves_no_stale_one(world: World) -> None:
    first, second, third = (item.id for item in world.items)
    with world.store.begin() as s:
        counts = replace_suggestions(
            s,
            world.schema,
            [
                NewSuggestion(first, "card_arrival", 0.7, PROBS),
                NewSuggestion(second, "card_lost", 0.6, PROBS),
            ],
            "tfidf-logreg",
            "tfidf:gold:40 rows",
            by=world.admin,
        )
        assert counts == {"suggested": 2, "replaced": 0, "cleared": 0, "skipped": 0, "kept": 0}
    with world.store.begin() as s:
        item = s.get(Item, first)
        assert item is not None
        assert (item.suggestion_label, item.suggestion_confidence) == ("card_arrival", 0.7)
        assert item.suggestion_probabilities == PROBS and item.suggestion_agent == "tfidf-logreg"
        assert item.suggestion_model == "tfidf:gold:40 rows" and item.suggested_at is not None
        counts = replace_suggestions(
            s, world.schema, [NewSuggestion(third, "exchange_rate", 0.9, PROBS)], "model-loglik", "run-002:m"
        )
        assert counts == {"suggested": 1, "replaced": 0, "cleared": 2, "skipped": 0, "kept": 0}
    with world.store.begin() as s:
        stored = {i.id: (i.suggestion_label, i.suggestion_model) for i in s.scalars(select(Item))}
        assert stored == {first: (None, None), second: (None, None), third: ("exchange_rate", "run-002:m")}
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "items.suggest")).all()
        assert [a.detail["model"] for a in audit] == ["tfidf:gold:40 rows", "run-002:m"]
        assert suggestion_counts(s, world.schema)["open_with_suggestion"] == 1


def test_bad_suggestions_are_refused_and_nothing_is_stored(world: World) -> None:
    first = world.items[0].id
    with world.store.begin() as s, pytest.raises(InvalidLabel):
        replace_suggestions(s, world.schema, [NewSuggestion(first, "nope", 0.5, {})], "a", "m")
    with world.store.begin() as s, pytest.raises(StoreError, match=r"not within 0\.\.1"):
        replace_suggestions(s, world.schema, [NewSuggestion(first, "card_lost", 1.5, {})], "a", "m")
    with world.store.begin() as s:  # an item closed (or gone) meanwhile takes none
        counts = replace_suggestions(s, world.schema, [NewSuggestion(10**6, "card_lost", 0.5, {})], "a", "m")
        assert counts["skipped"] == 1 and counts["suggested"] == 0
    with world.store.begin() as s:
        assert s.get(Item, first).suggestion_label is None  # type: ignore[union-attr]
        review = add_label_schema(s, "judge", "output_review", [])
        with pytest.raises(StoreError, match="takes no suggestions"):
            replace_suggestions(s, review, [], "a", "m")


def test_a_label_set_suggestion_is_stored_as_a_checked_list(world: World) -> None:
    with world.store.begin() as s:
        schema = add_label_schema(s, "topics", "multi_label", ["a", "b", "c"], bounds=(0, 2))
        (item,) = import_external_items(s, [ExternalItem("x:1", "text")], schema)
        probs = {"a": 0.9, "b": 0.8, "c": 0.1}
        replace_suggestions(s, schema, [NewSuggestion(item.id, ["b", "a"], 0.65, probs)], "m", "v")
        assert item.suggestion_label == ["a", "b"] and item.suggestion_probabilities == probs
        with pytest.raises(InvalidLabel):
            replace_suggestions(s, schema, [NewSuggestion(item.id, ["a", "b", "c"], 0.5, probs)], "m", "v")


def test_the_blind_share_is_a_stable_hash_of_the_item_id() -> None:
    ids = range(1, 20001)
    share = sum(hashed_blind(i, 0.2) for i in ids) / len(ids)
    assert 0.19 < share < 0.21
    assert [i for i in range(1, 60) if hashed_blind(i, 0.2)] == [
        5,
        9,
        15,
        33,
        35,
        38,
        40,
        42,
        45,
        49,
        51,
        52,
        59,
    ]
    assert not any(hashed_blind(i, 0.0) for i in ids) and all(hashed_blind(i, 1.0) for i in ids)


def test_blind_gated_and_review_items_show_no_suggestion_but_answers_keep_it(world: World) -> None:
    first, second, third = world.items
    with world.store.begin() as s:
        replace_suggestions(
            s,
            world.schema,
            [
                NewSuggestion(first.id, "card_lost", 0.8, PROBS),
                NewSuggestion(second.id, "card_arrival", 0.6, PROBS),
                NewSuggestion(third.id, "card_lost", 0.7, PROBS),
            ],
            "a",
            "m",
        )
        item = s.get(Item, first.id)
        assert item is not None
        assert suggestion_for(s, item, True, blind_share=0.0) == ("card_lost", 0.8)
        assert suggestion_for(s, item, True, blind_share=1.0) is None  # every item blind
        schema = item.label_schema
        assert switch_off(s, schema, ["card_lost"]) and not switch_off(s, schema, ["card_lost"])
        assert suggestion_for(s, item, True) is None  # its label is switched off
        other = s.get(Item, second.id)
        assert other is not None and suggestion_for(s, other, True) == ("card_arrival", 0.6)
        queue_issue(s, other, "confident_learning", "card_arrival", "card_lost", 0.1)
        assert suggestion_for(s, other, True) is None  # an expert decides it: gold stays blind
        review = add_label_schema(s, "judge", "output_review", [])
        (judged,) = import_external_items(s, [ExternalItem("o:1", "answer")], review)
        judged.suggestion_label = {"rating": 5, "correct": True, "corrected": None}
        assert suggestion_for(s, judged, True) is None
        ann = world.annotators[0]
        claimed = claim_next(s, ann)
        assert claimed is not None and claimed.id == first.id
        answer = submit(s, ann, claimed, "card_arrival", suggestions=True)
        assert not answer.suggestion_shown and answer.suggestion_label == "card_lost"


def test_a_suggestion_routed_from_use_is_never_replaced_by_a_models(world: World) -> None:
    """A user's correction (or the served answer) is what people are asked to judge: `assist
    suggest` leaves it, and still clears and replaces the others."""
    first = world.items[0].id
    with world.store.begin() as s:
        (told,) = import_feedback_items(
            s,
            [FeedbackItem("feedback_correction", "chatcmpl-9", "my card is lost", "m", "run-1", "card_lost")],
            world.schema,
        )
        assert (told.suggestion_agent, told.suggestion_model) == ("feedback:feedback_correction", "m")
        counts = replace_suggestions(
            s,
            world.schema,
            [
                NewSuggestion(told.id, "card_arrival", 0.9, PROBS),
                NewSuggestion(first, "card_lost", 0.6, PROBS),
            ],
            "model-loglik",
            "run-002:m",
        )
        assert (counts["suggested"], counts["kept"], counts["skipped"]) == (1, 1, 0)
        assert (told.suggestion_label, told.suggestion_agent) == ("card_lost", "feedback:feedback_correction")
        assert s.get(Item, first).suggestion_label == "card_lost"  # type: ignore[union-attr]
