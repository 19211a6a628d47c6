"""Label schema kind `output_review`: people rate a model output (1-5), judge it correct or not
and may correct it.

Only the check constraint on `label_schemas.kind` changes. SQLite cannot alter a constraint, so
batch mode copies the table; named constraints (the naming convention) make that possible.
A downgrade is refused by the database while any `output_review` schema exists: dropping the kind
would leave rows the old constraint forbids, and nothing stored may be lost silently.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("single_label", "multi_label", "rating", "free_text_correction")
AFTER = (*BEFORE, "output_review")


def _kinds(kinds: tuple[str, ...]) -> str:
    return f"kind IN ({', '.join(repr(k) for k in kinds)})"


def _replace_check(kinds: tuple[str, ...]) -> None:
    with op.batch_alter_table("label_schemas") as batch:
        batch.drop_constraint(op.f("ck_label_schemas_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_label_schemas_kind"), _kinds(kinds))


def upgrade() -> None:
    _replace_check(AFTER)


def downgrade() -> None:
    _replace_check(BEFORE)
