"""Feedback stage: people judge the model's outputs, and what they find comes back as data.

`tuneloop review sample` draws outputs for review into the annotation store, `review results`
measures human against automatic accuracy and keeps corrections as candidate training rows.
"""
