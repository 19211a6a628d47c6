"""Annotate stage: labels from people, how far they agree, and the consensus label per item."""
