"""tuneloop: turn a general language model into a reliable model for one task, data quality first."""

__version__ = "0.1.0"
