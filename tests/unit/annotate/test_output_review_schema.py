"""The `output_review` label kind: its answers, and migration 0003 on both engines."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tuneloop.annotate.store import InvalidLabel, Store, add_label_schema, add_user
from tuneloop.annotate.store.engine import alembic_config
from tuneloop.annotate.store.labels import check_output_review


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({"rating": 5, "correct": True}, {"rating": 5, "correct": True, "corrected": None}),
        (
            {"rating": 1, "correct": False, "corrected": " card_arrival "},
            {"rating": 1, "correct": False, "corrected": "card_arrival"},
        ),
        (
            {"rating": 3, "correct": False, "corrected": None},
            {"rating": 3, "correct": False, "corrected": None},
        ),
    ],
)
def test_a_review_answer_is_stored_in_one_form(given: dict[str, Any], stored: dict[str, Any]) -> None:
    assert check_output_review(given) == stored


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("card_arrival", "an output_review answer is"),
        ({"rating": 3}, "an output_review answer is"),
        ({"rating": 3, "correct": True, "note": "x"}, "an output_review answer is"),
        ({"rating": 6, "correct": True}, "integer from 1 to 5"),
        ({"rating": True, "correct": True}, "integer from 1 to 5"),
        ({"rating": 4, "correct": "yes"}, "true or false"),
        ({"rating": 2, "correct": False, "corrected": "  "}, "non-empty text or null"),
        ({"rating": 5, "correct": True, "corrected": "other"}, "judged correct takes no corrected"),
    ],
)
def test_a_malformed_review_answer_says_what_fits(given: Any, message: str) -> None:
    with pytest.raises(InvalidLabel, match=message):
        check_output_review(given)


def _insert_schema(session: Any, kind: str) -> None:
    """Past the library's own check, straight to the table: the database's constraint must refuse."""
    row = {"name": f"raw-{kind}", "kind": kind, "labels": "[]", "at": "2026-01-01"}
    session.execute(
        text(
            "INSERT INTO label_schemas (name, kind, labels, created_at) VALUES (:name, :kind, :labels, :at)"
        ),
        row,
    )


def test_migration_0003_admits_the_kind_and_will_not_drop_it_while_used(store: Store) -> None:
    with store.begin() as s:
        admin = add_user(s, "ada", "admin")
        add_label_schema(s, "review", "output_review", by=admin)
    with pytest.raises(DBAPIError), store.begin() as s:  # the constraint still refuses unknown kinds
        _insert_schema(s, "vibes")
    with pytest.raises(DBAPIError):  # downgrading would break the stored schema: refused
        command.downgrade(alembic_config(store.engine), "0002")
    with store.begin() as s:
        s.execute(text("DELETE FROM audit_log"))
        s.execute(text("DELETE FROM label_schemas"))
    command.downgrade(alembic_config(store.engine), "0002")
    with pytest.raises(DBAPIError), store.begin() as s:  # at 0002 the kind is not allowed
        _insert_schema(s, "output_review")
    command.upgrade(alembic_config(store.engine), "head")
