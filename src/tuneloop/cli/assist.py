"""`tuneloop assist ...`: automation that routes work to people.

`label-issues` finds likely wrong labels in the project's train split and among the items several
people answered (cleanlab: confident learning on out-of-fold TF-IDF probabilities, and CROWDLAB),
and queues them for review in the annotation store; reviewers decide them in the web app
(`/review/issues`), and each decision is the item's gold label for the next round.
`suggest` stores a calibrated suggestion on every open item, from the latest round's model or a
TF-IDF regression on the gold labels; the web app shows it when `annotation.suggestions` is on.
`anchoring` measures how much shown suggestions pull answers to them (against the blind share)
and switches a label's suggestions off when the pull is too strong for no gain on gold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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


@assist_app.command("suggest")
@guarded
def suggest(
    project: ProjectArg = Path("."),
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            metavar="RUN_OR_MODEL",
            help="A run directory or a run's final model; 'tfidf' for the baseline. "
            "Default: the latest run's model, else the baseline.",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Suggest a label, with a calibrated probability, for every open item of the annotation store.

    Arguments:
      PROJECT   the project directory (tuneloop.yaml)
      --model   RUN_OR_MODEL: a run (or its final model) whose label probabilities by log-likelihood
                are calibrated on the run's validation predictions; `tfidf`: a TF-IDF regression on
                the gold labels so far (with the sources' training labels when there are too few),
                calibrated on its out-of-fold probabilities. Default: the latest run, else tfidf
      --json    print the summary: the suggester, what it learned from, the temperature and the
                expected calibration error before and after, the counts, the first suggestions
    """
    from tuneloop.assist.suggest_items import suggest_open_items
    from tuneloop.evaluate.suggestion_source import latest_run, model_source
    from tuneloop.spec import load_spec

    spec = load_spec(project)
    run = latest_run(spec.output_path) if model is None else None if model == "tfidf" else Path(model)
    source = model_source(run, spec.output_path, spec.evaluation.batch_size) if run is not None else None
    report = suggest_open_items(spec, source)
    if json_out:
        emit(report)
        return
    c = report["calibration"]
    out.print(
        f"{report['suggested']} open items suggested by {report['model_version']} "
        f"(trained on {report['trained_on']}); {report['replaced']} replaced an older suggestion, "
        f"{report['cleared']} cleared",
        highlight=False,
    )
    out.print(
        f"calibration: temperature {c['temperature']:.3f} on {c['held_out']} held-out rows ({c['source']}); "
        f"expected calibration error {c['ece_before']:.4f} before, {c['ece_after']:.4f} after",
        highlight=False,
    )
    for s in report["suggestions"]:
        out.print(
            f"  item {s['item']}: {s['label']} ({s['probability']:.0%}) {s['text'][:60]!r}", highlight=False
        )


@assist_app.command("anchoring")
@guarded
def anchoring(project: ProjectArg = Path("."), json_out: JsonOpt = False) -> None:
    """How much shown suggestions pull answers to them, per label; the gate switches a label off.

    Arguments:
      PROJECT  the project directory (tuneloop.yaml)
      --json   print the report: answers shown and blind, the delta overall and per label
               (P(answer = suggestion | shown) - P(answer = suggestion | blind), with a bootstrap
               interval), the gold-accuracy gain, and the labels switched off
    """
    from tuneloop.assist.anchoring import measure_anchoring
    from tuneloop.spec import load_spec

    report = measure_anchoring(load_spec(project))
    if json_out:
        emit(report)
        return
    out.print(
        f"{report['answers']} answers to suggested items: {report['shown']} with the suggestion shown, "
        f"{report['blind']} blind (blind share {report['blind_share']:.0%})",
        highlight=False,
    )
    for row in [report["overall"], *sorted(report["labels"], key=lambda r: -(r["delta"] or 0))[:15]]:
        out.print(f"  {_delta_line(row)}", highlight=False)
    off = ", ".join(report["switched_off"]) or "none"
    out.print(
        f"suggestions switched off (lower bound over {report['max_delta']}, gold accuracy not up): {off}",
        highlight=False,
    )


def _delta_line(row: dict[str, Any]) -> str:
    name = row["label"] or "overall"
    if row["delta"] is None:
        return f"{name}: {row['shown']} shown, {row['blind']} blind; no delta (a group is empty)"
    verdict = "OFF" if row["off"] else "judged" if row["judged"] else "too few answers"
    return (
        f"{name}: delta {row['delta']:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}] "
        f"({row['shown']} shown, {row['blind']} blind; {verdict})"
    )
