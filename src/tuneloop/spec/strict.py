"""The base of every spec model, so that all of them treat unknown keys the same way."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown keys are errors: a typo in the spec must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")
