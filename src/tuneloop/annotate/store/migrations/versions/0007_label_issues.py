"""The label-issue review queue: labels a finder suspects (`tuneloop assist label-issues`), each
with the given and suggested label, the finder's score and method, waiting for a reviewer whose
decision is recorded as the item's adjudication.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "label_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=50), nullable=False),
        sa.Column("given_label", sa.JSON(), nullable=False),
        sa.Column("suggested_label", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adjudication_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'kept', 'corrected')", name=op.f("ck_label_issues_state")),
        sa.ForeignKeyConstraint(
            ["adjudication_id"],
            ["adjudications.id"],
            name=op.f("fk_label_issues_adjudication_id_adjudications"),
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_label_issues_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_issues")),
        sa.UniqueConstraint("item_id", "method", name=op.f("uq_label_issues_item_id_method")),
    )
    with op.batch_alter_table("label_issues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_label_issues_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_label_issues_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("label_issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_label_issues_state"))
        batch_op.drop_index(batch_op.f("ix_label_issues_item_id"))
    op.drop_table("label_issues")
