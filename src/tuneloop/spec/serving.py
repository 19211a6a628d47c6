"""What the spec says about the served model (`tuneloop serve-model`): how long its request log
is kept, whether personal data is taken out of the log before it is written, and below which
confidence an answer counts as unsure (`tuneloop monitor`, `tuneloop round next`)."""

from __future__ import annotations

from pydantic import Field

from tuneloop.spec.strict import Strict


class ServingSpec(Strict):
    """`retention_days`: logged requests (and the feedback on them) older than this are deleted
    when the server starts and by `tuneloop feedback purge`; None keeps them all. `redact_pii`:
    the log keeps texts with each piece of personal data (the data checks' PII detectors)
    replaced by its placeholder; the client still gets the model's answer as it was.
    `low_confidence_below`: an answer whose logged confidence (its label's probability, or a
    label set's least sure decision) is below this is a low-confidence answer."""

    retention_days: int | None = Field(default=None, ge=1)
    redact_pii: bool = False
    low_confidence_below: float = Field(default=0.5, gt=0, le=1)
