"""`tuneloop init`: a new project, copied from a runnable example or the commented skeleton."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import err, guarded
from tuneloop.errors import TuneloopError


def _examples_root() -> Path:
    packaged = Path(str(files("tuneloop"))) / "_examples"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[3] / "examples"


@guarded
def init(
    directory: Annotated[
        Path, typer.Argument(help="Where to create the project (must not exist or be empty).")
    ],
    example: Annotated[
        str | None, typer.Option(help="Copy a runnable example project, e.g. banking77.")
    ] = None,
) -> None:
    """Create a project: a runnable example, or a commented skeleton of tuneloop.yaml."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise TuneloopError(f"{directory}: exists and is not an empty directory; choose a new directory")
    if example is None:
        source = _examples_root() / "skeleton"
    else:
        source = _examples_root() / example
        if not (source / "tuneloop.yaml").is_file():
            known = sorted(p.name for p in _examples_root().iterdir() if (p / "tuneloop.yaml").is_file())
            raise TuneloopError(f"unknown example {example!r}; known: {', '.join(known)}")
    shutil.copytree(
        source, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("runs", "__pycache__")
    )
    err.print(f"created {directory} from {'example ' + example if example else 'the skeleton'}")
