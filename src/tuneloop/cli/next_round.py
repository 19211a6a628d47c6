"""`tuneloop round next PROJECT`: what the model's use left (feedback corrections, thumbs-down
answers, the review's corrected outputs, low-confidence answers) routed to people as annotation
items for the next round."""

from __future__ import annotations

from typing import Annotated

import typer

from tuneloop.cli.support import JsonOpt, ProjectArg, emit, guarded, out

round_app = typer.Typer(
    no_args_is_help=True, help="Rounds of the loop: what comes back from the model's use."
)


@round_app.command("next")
@guarded
def round_next(
    project: ProjectArg,
    since: Annotated[
        str | None, typer.Option(help="Only requests logged at or after this ISO time (UTC if no zone).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Low-confidence answers routed at most.", min=0)] = 200,
    json_out: JsonOpt = False,
) -> None:
    """Route into the annotation store, as items for people: served answers a client corrected
    (the correction as the item's suggestion, never as its label), answers rated down, outputs the
    review corrected, and low-confidence answers (those of inputs the latest `tuneloop monitor`
    found drifted first). Each item is tagged with its origin and the served response id; what is
    already routed is left as it is. People's decided labels reach the next `tuneloop run`."""
    from tuneloop.feedback.next_round import route_next_round
    from tuneloop.feedback.served_log import parse_since
    from tuneloop.spec import load_spec

    result = route_next_round(load_spec(project), parse_since(since), limit)
    if json_out:
        emit(result)
        return
    added = ", ".join(f"{origin.replace('_', ' ')} {n}" for origin, n in result["added"].items())
    out.print(
        f"{sum(result['added'].values())} new items for people ({added}); "
        f"{result['upgraded']} upgraded to a stronger origin; {result['already_routed']} already routed; "
        f"in {result['store']}",
        highlight=False,
        markup=False,
    )
