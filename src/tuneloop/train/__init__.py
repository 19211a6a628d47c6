"""Train stage: the base model, then each phase of the spec in order."""
