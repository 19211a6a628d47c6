"""Label-set bounds: a multi_label schema says how many labels an answer holds (the spec's
`min_labels`/`max_labels`), so the store refuses an answer outside them whoever sends it, and how
far apart (MASI distance, `annotation.dispute_masi`) differing answers must be to go to
adjudication. All three are NULL (no bound; any difference disputes) for every schema made
before, and for every kind but multi_label.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("label_schemas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_labels", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_labels", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dispute_masi", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("label_schemas", schema=None) as batch_op:
        batch_op.drop_column("dispute_masi")
        batch_op.drop_column("max_labels")
        batch_op.drop_column("min_labels")
