"""The annotation store fixtures, so `tuneloop annotate ...` runs on SQLite and on PostgreSQL too."""

from tests.unit.annotate.conftest import store_url

__all__ = ["store_url"]
