"""`tuneloop train`: prepare the data and train every phase of the spec (`cli/base_models.py` gets the
base model)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import JsonOpt, ProjectArg, emit, guarded, out, process_console


@guarded
def train(
    project: ProjectArg = Path("."),
    resume: Annotated[
        bool, typer.Option("--resume", help="Go on with the latest unfinished run from its last checkpoint.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Prepare the data and train every phase of the spec into a new run directory."""
    from tuneloop.distributed import is_main
    from tuneloop.round import resume_round, train_round
    from tuneloop.run_dir import latest_unfinished_run, read_record
    from tuneloop.spec import load_spec

    spec = load_spec(project)
    console = process_console()
    if resume:
        run_dir = latest_unfinished_run(spec.output_path)
        resume_round(run_dir, console)
    else:
        run_dir = train_round(spec, console)
    if not is_main():
        return
    record = read_record(run_dir)
    if json_out:
        emit({"run_dir": str(run_dir), "final_model": record.final_model, "phases": record.phases})
    else:
        out.print(f"trained: {record.final_model}")
