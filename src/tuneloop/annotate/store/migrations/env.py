"""Alembic environment of the annotation store; `engine.upgrade` passes the engine in.

To write a new migration after changing `models.py`, from the repository root:
    .venv/bin/python -m tuneloop.annotate.store.revision "what changed"
"""

from __future__ import annotations

from alembic import context

from tuneloop.annotate.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
