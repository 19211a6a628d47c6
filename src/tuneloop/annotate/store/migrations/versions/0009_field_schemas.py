"""Label schema kind `fields`: an extract task's answer is a record of its field schema, which
the schema row now keeps (`label_schemas.field_schema`, the spec's fields as JSON; NULL for every
other kind and for every schema made before).

SQLite cannot alter a check constraint, so batch mode copies the table (named constraints make
that possible). A downgrade is refused by the database while any `fields` schema exists: dropping
the kind would leave rows the old constraint forbids, and nothing stored may be lost silently.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("single_label", "multi_label", "rating", "free_text_correction", "output_review")
AFTER = (*BEFORE, "fields")


def _kinds(kinds: tuple[str, ...]) -> str:
    return f"kind IN ({', '.join(repr(k) for k in kinds)})"


def upgrade() -> None:
    with op.batch_alter_table("label_schemas") as batch:
        batch.add_column(sa.Column("field_schema", sa.JSON(), nullable=True))
        batch.drop_constraint(op.f("ck_label_schemas_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_label_schemas_kind"), _kinds(AFTER))


def downgrade() -> None:
    with op.batch_alter_table("label_schemas") as batch:
        batch.drop_constraint(op.f("ck_label_schemas_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_label_schemas_kind"), _kinds(BEFORE))
        batch.drop_column("field_schema")
