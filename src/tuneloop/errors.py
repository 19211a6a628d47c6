"""Errors a user can act on, each mapped to a documented exit code (see docs/cli.md).

Library code raises these instead of printing; the CLI turns them into one clear line and the
exit code, never a traceback.
"""


class TuneloopError(Exception):
    """Bad usage or bad input: the user must change a command, a file or the spec (exit 2)."""

    exit_code = 2


class SpecError(TuneloopError):
    """The project spec is invalid; the message lists every problem with its YAML line."""


class CheckFailed(TuneloopError):
    """A check or gate ran and failed: the inputs were readable but not good enough (exit 1)."""

    exit_code = 1


def some_of(names: list[str], most: int = 20) -> str:
    """`names` comma-separated for a message, the first `most` only: a 50,000-column header is
    named by its first columns and a count, not spelled out whole."""
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown}, … and {len(names) - most:,} more"
