"""Evaluate stage: predictions of a model on examples, and the metrics over them."""
