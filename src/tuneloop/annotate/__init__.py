"""Annotation: the store of items, annotations, reviews and gold labels, and agreement on top of it."""
