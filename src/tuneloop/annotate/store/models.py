"""The annotation store's tables, as SQLAlchemy 2 typed models.

The schema itself is created by the Alembic migrations in `migrations/`, never by
`metadata.create_all`: a test checks that these models and the migrations agree, so a column added
here without a migration fails the suite instead of a user's database.

Annotations are an append-only history. A change (an annotator's undo, a reviewer's correction) is
a new row whose `supersedes_id` points at the row it replaces; no value is ever updated, so every
label anyone gave stays traceable to who gave it, when, and under which guideline version. What
changes in place is workflow state only: an assignment's submitted/skipped marks and slot, and an
item's `closed_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("admin", "annotator", "reviewer")
OUTPUT_REVIEW = "output_review"  # a person's judgement of a model output, not a label of data
MULTI_LABEL = "multi_label"  # an answer is a set of labels
FIELDS = "fields"  # an answer is a record of the schema's fields (an extract task)
SCHEMA_KINDS = ("single_label", MULTI_LABEL, "rating", "free_text_correction", OUTPUT_REVIEW, FIELDS)
SOURCE_KINDS = ("dataset", "model_output")
VERDICTS = ("accept", "correct")
ISSUE_STATES = ("open", "kept", "corrected")  # a suspect label: waiting, the label stood, it changed
MAX_ID = 2**31 - 1  # ids are PostgreSQL integers; a larger one names no row on any engine

# Named constraints, so migrations can refer to them on every engine (SQLite batch mode needs names).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True), dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2; None: cannot log in
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]  # `tuneloop users disable`: no sessions, no sign-in

    def __repr__(self) -> str:
        return f"User({self.name!r}, {self.role})"


class GuidelineVersion(Base):
    __tablename__ = "guideline_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    markdown: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    published_by: Mapped[User] = relationship()


class LabelSchema(Base):
    """The answers an item takes. A multi_label answer holds `min_labels` to `max_labels` labels
    (None: no bound), disputed when two are further apart than `dispute_masi` (None: whenever they
    differ). A `fields` answer is a record of `field_schema` (`store/field_answers.py`)."""

    __tablename__ = "label_schemas"
    __table_args__ = (CheckConstraint(_one_of("kind", SCHEMA_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_labels: Mapped[int | None]
    max_labels: Mapped[int | None]
    dispute_masi: Mapped[float | None] = mapped_column(Float)
    field_schema: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    suggestions_off: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # the anchoring gate's
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Item(Base):
    """One thing to annotate: a dataset row or a model output.

    `source_key` spells the source in one string (`dataset:HASH:PART:ROW` or
    `model:MODEL:RUN:PHASE:ID`) so uniqueness per source holds on every engine, where a unique
    constraint over nullable columns would not. `overlap` is k, fixed when the item is imported, so
    changing the spec later never reopens or closes items behind the annotators' backs.
    `suggestion_*`: a model's pre-label, its calibrated probability, every label's, the agent, the
    model version and when (`assist suggest`, `suggestions.py`), shown only where enabled.
    """

    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint(_one_of("source_kind", SOURCE_KINDS), name="source_kind"),
        CheckConstraint("overlap >= 2", name="overlap"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    source_key: Mapped[str] = mapped_column(String(500), unique=True)
    source_kind: Mapped[str] = mapped_column(String(20))
    dataset_version: Mapped[str | None] = mapped_column(String(64))
    part: Mapped[str | None] = mapped_column(String(20))
    row_id: Mapped[int | None]
    model: Mapped[str | None] = mapped_column(String(500))
    run: Mapped[str | None] = mapped_column(String(200))
    phase: Mapped[str | None] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(200), index=True)
    label_schema_id: Mapped[int] = mapped_column(ForeignKey("label_schemas.id"))
    overlap: Mapped[int]
    suggestion_label: Mapped[Any] = mapped_column(JSON, nullable=True)
    suggestion_confidence: Mapped[float | None] = mapped_column(Float)
    suggestion_probabilities: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    suggestion_agent: Mapped[str | None] = mapped_column(String(200))
    suggestion_model: Mapped[str | None] = mapped_column(String(500))
    suggested_at: Mapped[datetime | None]
    queue_rank: Mapped[int | None]  # the uncertainty queue's serving position (store/queue.py)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    label_schema: Mapped[LabelSchema] = relationship()

    def __repr__(self) -> str:
        return f"Item({self.id}, {self.source_key!r})"


class Assignment(Base):
    """A user's claim on an item. `slot` (0..k-1) is what caps an item at k annotators: (item,
    slot) is unique, so two concurrent claims of the last free slot cannot both commit, on any
    engine. A skip gives the slot back (slot becomes NULL, and NULLs never collide) but keeps the
    row, so (item, user), also unique, still stops the same user from getting the item again."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("item_id", "user_id"),
        UniqueConstraint("item_id", "slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    slot: Mapped[int | None]
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    skipped_at: Mapped[datetime | None]
    skip_reason: Mapped[str | None] = mapped_column(Text)

    item: Mapped[Item] = relationship()
    user: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None and self.skipped_at is None


class Annotation(Base):
    """One immutable label. `annotator` owns the slot; `author` wrote this row (the annotator, or a
    reviewer whose correction supersedes it). A `retracted` row is an annotator's undo.

    `suggestion_shown` records whether a model's suggestion was on screen and `suggestion_label`
    the suggestion the item carried then, shown or blind (to measure anchoring);
    `request_id` is the client's key for one submission, unique, so a retry after a lost response
    finds the row it already made instead of adding a second.
    """

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    label: Mapped[Any] = mapped_column(JSON, nullable=True)
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    guideline_version_id: Mapped[int] = mapped_column(ForeignKey("guideline_versions.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id"), unique=True)
    suggestion_shown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    suggestion_label: Mapped[Any] = mapped_column(JSON, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[Item] = relationship()
    annotator: Mapped[User] = relationship(foreign_keys=[annotator_id])
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    guideline_version: Mapped[GuidelineVersion] = relationship()

    def __repr__(self) -> str:
        return f"Annotation({self.id}, item={self.item_id}, label={self.label!r})"


class Review(Base):
    """A reviewer's verdict on one annotation; a correction also writes the superseding row."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(_one_of("verdict", VERDICTS), name="verdict"),
        UniqueConstraint("annotation_id", "reviewer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    correction_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    annotation: Mapped[Annotation] = relationship(foreign_keys=[annotation_id])
    reviewer: Mapped[User] = relationship()
    correction: Mapped[Annotation | None] = relationship(foreign_keys=[correction_id])


class Adjudication(Base):
    """The gold label of a disputed item, with who decided, under which guidelines, and what it
    overrode (the annotations whose labels differ from it, in `adjudication_overrides`)."""

    __tablename__ = "adjudications"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), unique=True)
    adjudicator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    label: Mapped[Any] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    guideline_version_id: Mapped[int] = mapped_column(ForeignKey("guideline_versions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[Item] = relationship()
    adjudicator: Mapped[User] = relationship()
    guideline_version: Mapped[GuidelineVersion] = relationship()
    overridden: Mapped[list[Annotation]] = relationship(
        secondary="adjudication_overrides", order_by="Annotation.id"
    )


class AdjudicationOverride(Base):
    __tablename__ = "adjudication_overrides"

    adjudication_id: Mapped[int] = mapped_column(ForeignKey("adjudications.id"), primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id"), primary_key=True)


class LabelIssue(Base):
    """A label a finder suspects (cleanlab's confident learning, or CROWDLAB over the item's
    annotators), waiting for a reviewer: the label given, the one suggested, the finder's score of
    the given label (lower: more suspect) and which method. The reviewer's decision is an
    adjudication of the item (`adjudication_id`), so it becomes the item's gold label."""

    __tablename__ = "label_issues"
    __table_args__ = (
        CheckConstraint(_one_of("state", ISSUE_STATES), name="state"),
        UniqueConstraint("item_id", "method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    method: Mapped[str] = mapped_column(String(50))
    given_label: Mapped[Any] = mapped_column(JSON)
    suggested_label: Mapped[Any] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    adjudication_id: Mapped[int | None] = mapped_column(ForeignKey("adjudications.id"))

    item: Mapped[Item] = relationship()
    adjudication: Mapped[Adjudication | None] = relationship()


class AuditEntry(Base):
    """Who did what to which object, when. Written by the services in the same transaction as the
    change itself, so the log never claims a change that rolled back."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie's token is stored, so a copy of the
    database does not hand out live sessions; logging out deletes the row."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """One login try, kept so failed ones can be counted per user name and per client address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_user_name_at", "user_name", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_name: Mapped[str] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(100), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)


class ApiKey(Base):
    """A client of the served model (`tuneloop keys add`). Only the SHA-256 of the token is kept
    (see serving/keys.py for why not argon2); a revoked key stays, so old log rows keep its name."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class ServedRequest(Base):
    """One answered request of `tuneloop serve-model`: what was asked, what was answered, by which
    model, for whom and how fast; committed before the answer leaves the server."""

    __tablename__ = "served_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    endpoint: Mapped[str] = mapped_column(String(50))
    model: Mapped[str] = mapped_column(String(200))  # the served model id and its version below
    run: Mapped[str | None] = mapped_column(String(200))
    round: Mapped[int | None]
    model_dir: Mapped[str] = mapped_column(Text)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    latency_ms: Mapped[float] = mapped_column(Float)
    redacted: Mapped[bool] = mapped_column(Boolean, default=False)  # PII replaced before storing


class ServedFeedback(Base):
    """A rating of a served answer (`POST /v1/feedback`, tied to its logged request) or of one
    answered elsewhere (`tuneloop feedback import`: prompt and response kept here instead)."""

    __tablename__ = "served_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("served_requests.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    rating: Mapped[str] = mapped_column(String(10))  # up, down, or 1..5
    correction: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    prompt: Mapped[str | None] = mapped_column(Text)  # imported rows only
    answer: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(500))  # "api", or FILE:LINE of an import
