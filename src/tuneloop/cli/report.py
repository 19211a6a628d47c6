"""`tuneloop report`: a run's report.html and MODEL_CARD.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import JsonOpt, emit, guarded, out


@guarded
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")], json_out: JsonOpt = False
) -> None:
    """Write report.html and MODEL_CARD.md for a run: spec, data, loss curves, per-class recall,
    confusion, slices with intervals, comparisons, gates."""
    from tuneloop.feedback.guideline_hints import write_guideline_hints
    from tuneloop.report.build import build
    from tuneloop.run_dir import MODEL_CARD_FILE

    write_guideline_hints(run_dir)  # the project's hints as of now, for the report to show
    path = build(run_dir)
    card = run_dir / MODEL_CARD_FILE
    if json_out:
        emit({"report": str(path), "model_card": str(card)})
    else:
        out.print(f"report: {path}")
        out.print(f"model card: {card}")
