"""The served model: API keys of its clients (only a hash of each), the log of every answered
request, and the feedback on served answers or on imported ones (`tuneloop serve-model`,
`tuneloop keys`, `tuneloop feedback import`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_keys_token_sha256")),
    )
    op.create_table(
        "served_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endpoint", sa.String(length=50), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("run", sa.String(length=200), nullable=True),
        sa.Column("round", sa.Integer(), nullable=True),
        sa.Column("model_dir", sa.Text(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("redacted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"], name=op.f("fk_served_requests_key_id_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_served_requests")),
        sa.UniqueConstraint("response_id", name=op.f("uq_served_requests_response_id")),
    )
    with op.batch_alter_table("served_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_served_requests_at"), ["at"], unique=False)

    op.create_table(
        "served_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.String(length=10), nullable=False),
        sa.Column("correction", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"], name=op.f("fk_served_feedback_key_id_api_keys")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["served_requests.id"], name=op.f("fk_served_feedback_request_id_served_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_served_feedback")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_served_feedback_idempotency_key")),
    )
    with op.batch_alter_table("served_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_served_feedback_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_served_feedback_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("served_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_served_feedback_request_id"))
        batch_op.drop_index(batch_op.f("ix_served_feedback_at"))

    op.drop_table("served_feedback")
    with op.batch_alter_table("served_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_served_requests_at"))

    op.drop_table("served_requests")
    op.drop_table("api_keys")
