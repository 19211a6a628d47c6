"""Suggestions with provenance: which agent and model version made an item's suggestion, when, and
every label's probability (a label set's per-label probabilities; the uncertainty queue's margin).
All NULL for items suggested before, and for items with no suggestion. Each answer keeps the
suggestion its item carried when it was given, shown or blind (the anchoring measure), and a
schema the labels whose suggestions the anchoring gate switched off. `queue_rank` is an open
item's position in the uncertainty queue.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suggestion_probabilities", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("suggestion_agent", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("suggestion_model", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("suggested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("queue_rank", sa.Integer(), nullable=True))
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suggestion_label", sa.JSON(), nullable=True))
    with op.batch_alter_table("label_schemas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suggestions_off", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("label_schemas", schema=None) as batch_op:
        batch_op.drop_column("suggestions_off")
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_column("suggestion_label")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("queue_rank")
        batch_op.drop_column("suggested_at")
        batch_op.drop_column("suggestion_model")
        batch_op.drop_column("suggestion_agent")
        batch_op.drop_column("suggestion_probabilities")
