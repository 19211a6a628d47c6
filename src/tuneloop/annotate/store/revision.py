"""Write a new migration from the difference between `models.py` and a scratch database.

    .venv/bin/python -m tuneloop.annotate.store.revision "add reviews.score"

The scratch SQLite database is upgraded to the newest migration first, so the new file holds only
what changed since. Read the generated file before committing it: autogenerate misses some changes
(CHECK constraints, renames).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from tuneloop.annotate.store.engine import alembic_config, make_engine, upgrade


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        upgrade(engine)
        command.revision(alembic_config(engine), message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "change")
