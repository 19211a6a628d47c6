"""Initial schema: users, guidelines, label schemas, items, assignments, annotations, reviews,
adjudications and the audit log.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 10:26:25.572567
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "label_schemas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('single_label', 'multi_label', 'rating', 'free_text_correction')",
            name=op.f("ck_label_schemas_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_schemas")),
        sa.UniqueConstraint("name", name=op.f("uq_label_schemas_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'annotator', 'reviewer')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("object_type", sa.String(length=50), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_log_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "guideline_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_guideline_versions_published_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guideline_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_guideline_versions_version")),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source_key", sa.String(length=500), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("dataset_version", sa.String(length=64), nullable=True),
        sa.Column("part", sa.String(length=20), nullable=True),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("model", sa.String(length=500), nullable=True),
        sa.Column("run", sa.String(length=200), nullable=True),
        sa.Column("phase", sa.String(length=200), nullable=True),
        sa.Column("domain", sa.String(length=200), nullable=True),
        sa.Column("label_schema_id", sa.Integer(), nullable=False),
        sa.Column("overlap", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("source_kind IN ('dataset', 'model_output')", name=op.f("ck_items_source_kind")),
        sa.CheckConstraint("overlap >= 2", name=op.f("ck_items_overlap")),
        sa.ForeignKeyConstraint(
            ["label_schema_id"], ["label_schemas.id"], name=op.f("fk_items_label_schema_id_label_schemas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("source_key", name=op.f("uq_items_source_key")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_domain"), ["domain"], unique=False)

    op.create_table(
        "adjudications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("adjudicator_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("guideline_version_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adjudicator_id"], ["users.id"], name=op.f("fk_adjudications_adjudicator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["guideline_version_id"],
            ["guideline_versions.id"],
            name=op.f("fk_adjudications_guideline_version_id_guideline_versions"),
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_adjudications_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjudications")),
        sa.UniqueConstraint("item_id", name=op.f("uq_adjudications_item_id")),
    )
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.JSON(), nullable=True),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("guideline_version_id", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["annotator_id"], ["users.id"], name=op.f("fk_annotations_annotator_id_users")
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_annotations_author_id_users")),
        sa.ForeignKeyConstraint(
            ["guideline_version_id"],
            ["guideline_versions.id"],
            name=op.f("fk_annotations_guideline_version_id_guideline_versions"),
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_annotations_item_id_items")),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["annotations.id"], name=op.f("fk_annotations_supersedes_id_annotations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotations")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_annotations_supersedes_id")),
    )
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_annotations_annotator_id"), ["annotator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_annotations_item_id"), ["item_id"], unique=False)

    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("skipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_assignments_item_id_items")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_assignments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint("item_id", "slot", name=op.f("uq_assignments_item_id_slot")),
        sa.UniqueConstraint("item_id", "user_id", name=op.f("uq_assignments_item_id_user_id")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignments_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "adjudication_overrides",
        sa.Column("adjudication_id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["adjudication_id"],
            ["adjudications.id"],
            name=op.f("fk_adjudication_overrides_adjudication_id_adjudications"),
        ),
        sa.ForeignKeyConstraint(
            ["annotation_id"],
            ["annotations.id"],
            name=op.f("fk_adjudication_overrides_annotation_id_annotations"),
        ),
        sa.PrimaryKeyConstraint("adjudication_id", "annotation_id", name=op.f("pk_adjudication_overrides")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("correction_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("verdict IN ('accept', 'correct')", name=op.f("ck_reviews_verdict")),
        sa.ForeignKeyConstraint(
            ["annotation_id"], ["annotations.id"], name=op.f("fk_reviews_annotation_id_annotations")
        ),
        sa.ForeignKeyConstraint(
            ["correction_id"], ["annotations.id"], name=op.f("fk_reviews_correction_id_annotations")
        ),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_reviews_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint(
            "annotation_id", "reviewer_id", name=op.f("uq_reviews_annotation_id_reviewer_id")
        ),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_annotation_id"), ["annotation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_annotation_id"))

    op.drop_table("reviews")
    op.drop_table("adjudication_overrides")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_user_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_item_id"))

    op.drop_table("assignments")
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_annotations_item_id"))
        batch_op.drop_index(batch_op.f("ix_annotations_annotator_id"))

    op.drop_table("annotations")
    op.drop_table("adjudications")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_domain"))

    op.drop_table("items")
    op.drop_table("guideline_versions")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    op.drop_table("users")
    op.drop_table("label_schemas")
