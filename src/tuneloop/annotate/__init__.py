"""Annotate stage: the store of items, annotations, reviews and gold labels; how far people agree; consensus."""
