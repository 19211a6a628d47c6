"""`tuneloop assist ...`: automation that routes work to people.

`label-issues` finds likely wrong labels in the project's train split and among the items several
people answered (cleanlab: confident learning on out-of-fold TF-IDF probabilities, and CROWDLAB),
and queues them for review in the annotation store; reviewers decide them in the web app
(`/review/issues`), and each decision is the item's gold label for the next round.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import JsonOpt, ProjectArg, emit, guarded, out

assist_app = typer.Typer(no_args_is_help=True, help="Automation that routes work to people.")


@assist_app.command("label-issues")
@guarded
def label_issues(
    project: ProjectArg = Path("."),
    max_share: Annotated[
        float, typer.Option(help="Flag at most this share of the train rows, most suspect first.")
    ] = 0.25,
    json_out: JsonOpt = False,
) -> None:
    """Find likely wrong labels (cleanlab) and queue them for review in the annotation store.

    Arguments:
      PROJECT      the project directory (tuneloop.yaml)
      --max-share  the longest list people are asked to review, as a share of the train rows
      --json       print the counts, the annotators' CROWDLAB quality and the first suspects
    """
    from tuneloop.assist.review_queue import route_label_issues
    from tuneloop.spec import load_spec

    report = route_label_issues(load_spec(project), max_share)
    if json_out:
        emit(report)
        return
    methods = ", ".join(f"{m} {n}" for m, n in report["by_method"].items()) or "none"
    out.print(
        f"{report['flagged']} of {report['rows']} train rows flagged "
        f"({report['share_flagged']:.1%}; {methods}); "
        f"{report['queued']} newly queued, {report['queue']['open']} open for review at /review/issues",
        highlight=False,
    )
    for s in report["suspects"]:
        out.print(
            f"  row {s['row']}: {s['given']} → {s['suggested']} (score {s['score']:.3f}, {s['method']}) "
            f"{s['text'][:70]!r}",
            highlight=False,
        )
    for a in report["annotators"]:
        out.print(
            f"  annotator {a['annotator']}: CROWDLAB quality {a['quality']:.2f} on {a['items']} items",
            highlight=False,
        )
