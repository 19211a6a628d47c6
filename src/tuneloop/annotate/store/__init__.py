"""The annotation store: SQLAlchemy models, packaged Alembic migrations and the services on top.

    store = open_store(default_url(project))          # or a postgresql+psycopg:// URL
    with store.begin() as session:
        item = claim_next(session, user)
    with store.begin() as session:
        submit(session, user, item, "card_arrival")

Every service is a plain function of a Session and does not commit; one `store.begin()` block per
request keeps each claim, submission or review one transaction (and its locks short).
"""

from tuneloop.annotate.store.adjudicate import adjudicate, disagreements
from tuneloop.annotate.store.assign import claim, claim_next, skip, submit, undo_last
from tuneloop.annotate.store.engine import Store, default_url, open_store
from tuneloop.annotate.store.errors import InvalidLabel, NotAllowed, NotFound, StoreError, WrongState
from tuneloop.annotate.store.export import AnnotationRecord, export_records
from tuneloop.annotate.store.guidelines import current_guidelines, publish_guidelines
from tuneloop.annotate.store.items import (
    ExternalItem,
    ModelOutput,
    import_external_items,
    import_items,
    import_model_outputs,
)
from tuneloop.annotate.store.labels import add_label_schema
from tuneloop.annotate.store.progress import AnnotatorProgress, progress
from tuneloop.annotate.store.review import is_disputed, items_needing_review, review
from tuneloop.annotate.store.users import add_user
from tuneloop.annotate.store.visibility import annotations_visible_to

__all__ = [
    "AnnotationRecord",
    "AnnotatorProgress",
    "ExternalItem",
    "InvalidLabel",
    "ModelOutput",
    "NotAllowed",
    "NotFound",
    "Store",
    "StoreError",
    "WrongState",
    "add_label_schema",
    "add_user",
    "adjudicate",
    "annotations_visible_to",
    "claim",
    "claim_next",
    "current_guidelines",
    "default_url",
    "disagreements",
    "export_records",
    "import_external_items",
    "import_items",
    "import_model_outputs",
    "is_disputed",
    "items_needing_review",
    "open_store",
    "progress",
    "publish_guidelines",
    "review",
    "skip",
    "submit",
    "undo_last",
]
