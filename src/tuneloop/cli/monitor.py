"""`tuneloop monitor PROJECT`: the served traffic against a run's training data (docs/serving.md);
exit 1 when it drifted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from tuneloop.cli.support import JsonOpt, ProjectArg, emit, guarded, out


@guarded
def monitor(
    project: ProjectArg,
    since: Annotated[
        str | None, typer.Option(help="Only requests logged at or after this ISO time (UTC if no zone).")
    ] = None,
    run: Annotated[
        Path | None,
        typer.Option(help="The run to compare with (a directory or a name; default: the latest)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Compare the served requests of the project's log with the training inputs of a run: domain
    drift of the inputs overall and per evaluation slice, the predicted labels against the run's,
    the share of low-confidence answers, and the feedback. Writes monitor.json and monitor.html
    under OUTPUT_DIR/monitor/TIME/. Exit 0: no drift; 1: drift found; 2: no store, no run, or
    nothing served in the window."""
    from tuneloop.errors import CheckFailed
    from tuneloop.feedback.monitor import monitor_and_write
    from tuneloop.feedback.served_log import parse_since
    from tuneloop.spec import load_spec

    result = monitor_and_write(load_spec(project), parse_since(since), run)
    emit(result) if json_out else print_summary(result)
    if result["drift"]:
        raise CheckFailed(
            f"drift found in {', '.join(result['drifted'])} (report: {result['files']['report']})"
        )


def print_summary(result: dict[str, Any]) -> None:
    overall, labels = result["inputs"]["overall"], result["labels"]
    out.print(
        f"{result['served']['requests']} served requests against {result['training']['rows']} training "
        f"rows of {result['run']}",
        highlight=False,
    )
    out.print(f"  inputs overall: {_verdict(overall)}", highlight=False)
    for name, values in result["inputs"]["slices"].items():
        for value, scope in values.items():
            out.print(f"  inputs {escape(name)}={escape(value)}: {_verdict(scope)}", highlight=False)
    out.print(f"  predicted labels: {_verdict(labels)}", highlight=False)
    confidence, feedback = result["confidence"], result["feedback"]
    if confidence["share"] is not None:
        out.print(
            f"  low confidence (< {confidence['threshold']:g}): {confidence['share']:.1%} of "
            f"{confidence['answers']} answers",
            highlight=False,
        )
    if feedback["thumbs_down_rate"] is not None:
        out.print(
            f"  thumbs down: {feedback['thumbs_down_rate']:.1%} of {feedback['rated_answers']} rated "
            f"answers; {feedback['corrections']} corrections",
            highlight=False,
        )
    out.print(f"report: {result['files']['report']}", highlight=False, markup=False)


def _verdict(scope: dict[str, Any]) -> str:
    if scope["status"] in ("not applicable", "no shared terms"):
        return f"{scope['status']} ({scope['why']})"
    if scope["status"] == "reported":
        return f"reported, not tested (distance {scope['distance']:.3f}; {scope['why']})"
    if scope["status"] != "tested":
        sizes = f"{scope['reference']} training, {scope['current']} served"
        return f"too few rows ({sizes}; {scope['needed']} needed)"
    shown = f"AUC {scope['auc']:.3f}" if "auc" in scope else f"distance {scope['distance']:.3f}"
    return f"{'[red]drift[/]' if scope['drifted'] else 'no drift'} ({shown}, Holm p {scope['p_holm']:.3g})"
