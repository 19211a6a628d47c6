"""Annotate stage: items, annotations, reviews and gold labels; how far people agree; consensus."""
