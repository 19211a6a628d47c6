"""Simulated reviewers of model outputs, so the example project shows the review loop without people.

They go through the store exactly as people would (claim, submit an `output_review` answer) and
are marked as what they are: named `simulated-reviewer-N`, with the skill `simulated`, and every
report that shows their results says SIMULATED. Each one first decides which label the input
deserves, the way `annotate simulate`'s annotators do (the gold label with the reviewer's
reliability, else a label people confuse with it); the output is judged correct when it matches
that label, rated 4-5 if so and 1-2 if not, and a wrong output is corrected to that label.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from tuneloop.annotate.project import project_store
from tuneloop.annotate.simulate import Confuser, simulated_user
from tuneloop.annotate.store import claim, submit
from tuneloop.annotate.store.models import Assignment, Item, User
from tuneloop.errors import TuneloopError
from tuneloop.feedback.review_files import read_sample
from tuneloop.spec import OutputReviewSpec
from tuneloop.spec.recorded import run_spec

RELIABILITY = (0.95, 0.85, 0.75)  # the first `reviewers_per_item` of these


def simulate_review(run_dir: Path, seed: int = 0) -> dict[str, Any]:
    """Let simulated reviewers answer every open review item of the run's sample."""
    spec = run_spec(run_dir)
    sample = read_sample(run_dir)
    reviewers = (spec.evaluation.review or OutputReviewSpec()).reviewers_per_item
    if reviewers > len(RELIABILITY):
        raise TuneloopError(
            f"review.reviewers_per_item is {reviewers}; at most {len(RELIABILITY)} simulated reviewers"
        )
    reliability = {f"simulated-reviewer-{i + 1}": RELIABILITY[i] for i in range(reviewers)}
    confuser = Confuser(spec, seed)
    store = project_store(spec)
    submitted = 0
    try:
        with store.begin() as session:
            people = [simulated_user(session, name, "annotator") for name in reliability]
        for drawn in sample:
            for person in people:
                with store.begin() as session:
                    submitted += _review(session, person, drawn, confuser, reliability[person.name])
    finally:
        store.close()
    return {"reviewers": reliability, "submitted": submitted, "items": len(sample), "simulated": True}


def _review(
    session: Any, person: User, drawn: dict[str, Any], confuser: Confuser, reliability: float
) -> bool:
    """One simulated reviewer's answer to one drawn output; False when it was not theirs to give."""
    item = session.scalar(select(Item).where(Item.source_key == drawn["source_key"]))
    if item is None:
        raise TuneloopError(f"review item {drawn['source_key']} is not in the store; sample again")
    if item.closed_at is not None or _answered(session, item, person.id):
        return False
    believed = confuser.answer(drawn["gold"], reliability)
    correct = believed == drawn["predicted"]
    rating = int(confuser.rng.integers(4, 6) if correct else confuser.rng.integers(1, 3))
    claim(session, person, item)
    submit(
        session,
        person,
        item,
        {"rating": rating, "correct": correct, "corrected": None if correct else believed},
    )
    return True


def _answered(session: Any, item: Item, user_id: int) -> bool:
    """A reviewer who had the item (answered or skipped it) never gets it again."""
    return (
        session.scalar(
            select(Assignment.id).where(Assignment.item_id == item.id, Assignment.user_id == user_id)
        )
        is not None
    )
