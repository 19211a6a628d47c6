"""`tuneloop annotate simulate`: SIMULATED annotators, a simulated expert who adjudicates their
disputes and, when asked, reviews the label-issue queue: the annotation stage without people, for
the demo and for trying a project's settings (a thin shell over `annotate.simulate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import JsonOpt, ProjectArg, emit, guarded, out


@guarded
def annotate_simulate(
    project: ProjectArg = Path("."),
    items: Annotated[int, typer.Option(help="Stop once this many items have closed.", min=1)] = 300,
    annotators: Annotated[int, typer.Option(help="How many simulated annotators (2-5).")] = 4,
    seed: Annotated[int, typer.Option(help="Seed of the simulated answers.")] = 0,
    anchoring: Annotated[float, typer.Option(help="P(an unsure annotator takes a shown suggestion).")] = 0.0,
    label_issues: Annotated[
        int, typer.Option(help="The simulated expert also reviews this many queued label issues.", min=0)
    ] = 0,
    json_out: JsonOpt = False,
) -> None:
    """SIMULATED annotators of differing reliability label the imported items, and a simulated expert
    adjudicates their disagreements (and reviews up to --label-issues suspects, most suspect first):
    a demo of the annotation stage without people."""
    from tuneloop.annotate.project import import_from_spec, operator, project_store
    from tuneloop.annotate.simulate import simulate
    from tuneloop.spec import load_spec

    spec = load_spec(project)
    store = project_store(spec)
    with store.begin() as session:
        version, _ = import_from_spec(session, spec, "train", items, operator(session))
    report = simulate(store, spec, version, items, annotators, seed, anchoring, label_issues)
    if json_out:
        emit(report.to_dict())
        return
    people = ", ".join(
        f"{name} ({reliability:.0%} reliable)" for name, reliability in report.annotators.items()
    )
    out.print(f"SIMULATED annotators: {people}", highlight=False)
    out.print(
        f"{report.submitted} answers, {report.closed} items closed, {report.adjudicated} disputes "
        f"adjudicated by the simulated expert; {report.anchored} took a shown suggestion",
        highlight=False,
    )
    if label_issues:
        out.print(
            f"label issues: {report.issues_reviewed} reviewed by the simulated expert, "
            f"{report.issues_corrected} corrected, {report.issues_kept} kept as given",
            highlight=False,
        )
