"""What every CLI command shares: the consoles, the argument types, the error guard, JSON output.

Library code raises `TuneloopError` (exit 2) or `CheckFailed` (exit 1); `guarded` turns them into one
line on stderr and the documented exit code, and anything else into exit 3 with the traceback.
With `--json` an error that stops a command before its output also prints one JSON object on
stdout, `{"error": message, "exit_code": 2}`, so a script reading stdout always gets one; that
holds for usage errors too (an unknown option, a bad value: `JsonUsageErrors`). A message is cut
to `MESSAGE_MAX` characters (a 50,000-column header is no error line).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import UsageError  # typer bundles its own click
from typer.core import TyperGroup

from tuneloop.errors import CheckFailed, TuneloopError

err = Console(stderr=True, soft_wrap=True)  # long paths and findings stay on one line
out = Console(soft_wrap=True)

ProjectArg = Annotated[Path, typer.Argument(help="Project directory holding tuneloop.yaml.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
F = TypeVar("F", bound=Callable[..., Any])
INTERNAL_ERROR = 3
MESSAGE_MAX = 2000


def guarded(fn: F) -> F:
    """Turn library errors into one clear line on stderr and the documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TuneloopError as exc:
            kind = "check failed" if isinstance(exc, CheckFailed) else "error"
            message = cut(str(exc))
            err.print(f"[bold red]{kind}:[/] {escape(message)}", highlight=False)
            if kwargs.get("json_out") and not isinstance(exc, CheckFailed):  # a failed check emits its report
                emit({"error": message, "exit_code": exc.exit_code})
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own (its click is bundled)
            raise
        except Exception as exc:  # a bug, not bad input: keep the traceback, but not exit 1 or 2
            err.print_exception()
            message = f"{escape(repr(exc))}; please report it, with the traceback"
            err.print(f"[bold red]internal error:[/] {message}")
            if kwargs.get("json_out"):
                emit({"error": f"internal error: {exc!r}", "exit_code": INTERNAL_ERROR})
            raise typer.Exit(INTERNAL_ERROR) from None

    return wrapper  # type: ignore[return-value]


def cut(message: str) -> str:
    if len(message) <= MESSAGE_MAX:
        return message
    return f"{message[:MESSAGE_MAX]}… ({len(message) - MESSAGE_MAX:,} more characters cut)"


class JsonUsageErrors(TyperGroup):
    """The command group: with `--json` on the command line, a usage error (exit 2) also prints
    `{"error": ..., "exit_code": 2}` on stdout, as every other error does."""

    json_out = False

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        self.json_out = "--json" in (sys.argv[1:] if args is None else args)
        return super().main(args, *rest, **extra)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            if self.json_out:
                emit({"error": cut(exc.format_message()), "exit_code": exc.exit_code})
            raise


def emit(payload: dict[str, Any]) -> None:
    print(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY).decode())


def process_console() -> Console:
    """stderr for the one process of a plain run, or the main one of `accelerate launch`; the
    other processes train in silence, so the output reads as one run."""
    from tuneloop.distributed import is_main

    return err if is_main() else Console(quiet=True)
