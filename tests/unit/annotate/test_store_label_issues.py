"""The label-issue review queue round trip: queued once with its reason, reviewed by someone who
did not annotate the item, and the decision is the item's gold label for the next round."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from tuneloop.annotate.project import (
    dataset_for_annotation,
    operator,
    project_store,
    publish_spec_guidelines,
    task_schema,
)
from tuneloop.annotate.store import add_user, claim_next, submit
from tuneloop.annotate.store.errors import NotAllowed, WrongState
from tuneloop.annotate.store.label_issues import (
    issue_counts,
    open_issues,
    queue_issue,
    resolve_issue,
    row_item,
)
from tuneloop.annotate.store.models import Adjudication, Item
from tuneloop.annotate.training_labels import training_gold
from tuneloop.spec import load_spec


def test_a_queued_issue_is_reviewed_into_gold(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project(rows=40, labels=3))
    version = dataset_for_annotation(spec)
    train = version.split("train")
    other = next(n for n in spec.label_names if n != train[0].label)
    store = project_store(spec)
    with store.begin() as session:
        by = operator(session)
        schema = task_schema(session, spec, by)
        publish_spec_guidelines(session, spec, by)
        reviewer = add_user(session, "rita", "reviewer")
        items = [row_item(session, version.hash, "train", r, train[r], schema, 2) for r in (0, 1)]
        assert items[0].closed_at is not None  # review only: never served to annotators
        assert row_item(session, version.hash, "train", 0, train[0], schema, 2).id == items[0].id
        first = queue_issue(
            session, items[0], "confident_learning", train[0].label, other, 0.01, {"row": 0}, by
        )
        assert first is not None
        assert (
            queue_issue(session, items[0], "confident_learning", train[0].label, other, 0.01) is None
        )  # once
        queue_issue(session, items[1], "confident_learning", train[1].label, other, 0.2)
        assert [i.item_id for i in open_issues(session, reviewer)] == [
            items[0].id,
            items[1].id,
        ]  # most suspect first
        assert claim_next(session, add_user(session, "ann", "annotator")) is None
        resolve_issue(session, reviewer, first, other)
        with pytest.raises(WrongState, match="already reviewed"):
            resolve_issue(session, reviewer, first, other)
        second = open_issues(session, reviewer)[0]
        resolve_issue(session, reviewer, second, train[1].label)
        assert (first.state, second.state) == ("corrected", "kept")
        assert issue_counts(session) | {"by_method": None} == {
            "found": 2,
            "open": 0,
            "kept": 1,
            "corrected": 1,
            "by_method": None,
            "precision": 0.5,
        }
        note = session.scalar(select(Adjudication.note).where(Adjudication.item_id == items[0].id))
        assert note == f"label issue {first.id} (confident_learning)"
    gold = training_gold(spec)
    store.close()
    assert gold is not None
    decided = {g.text: (g.label, g.kind, g.by) for g in gold.labels}
    assert decided[train[0].text] == (other, "adjudicated", ("rita",))
    assert decided[train[1].text] == (train[1].label, "adjudicated", ("rita",))


def test_an_annotator_of_the_item_never_reviews_its_issue(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project(rows=40, labels=3, annotation={"overlap": 2, "gate": {"alpha": 0.0}}))
    store = project_store(spec)
    from tuneloop.annotate.project import import_from_spec

    with store.begin() as session:
        by = operator(session)
        import_from_spec(session, spec, "train", 1, by)
        people = [add_user(session, name, "reviewer") for name in ("ann", "bo")]
        for person in people:
            item = claim_next(session, person)
            assert item is not None
            submit(session, person, item, spec.label_names[0])
        item = session.scalars(select(Item)).one()
        issue = queue_issue(session, item, "crowdlab", spec.label_names[0], spec.label_names[1], 0.3)
        assert issue is not None and open_issues(session, people[0]) == []
        with pytest.raises(NotAllowed, match="annotated item"):
            resolve_issue(session, people[0], issue, spec.label_names[1])
    store.close()
