"""`tuneloop review ...`: people review a run's model outputs through the annotation store.

`sample` draws outputs (stratified by slice, over-sampling errors, low confidence and
counterfactual flips) into the store; people answer them like any annotation item (the
`output_review` kind: rating 1-5, correct or not, an optional correction); `results` reads their
answers back into the run (RUN/review/results.json, the report, the model card) and keeps the
corrections as candidate training rows. `simulate` lets SIMULATED reviewers answer, for the demo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.support import JsonOpt, emit, guarded, out

review_app = typer.Typer(no_args_is_help=True, help="People review a run's model outputs.")

RunArg = Annotated[Path, typer.Argument(help="A run directory (runs/run-NNN).")]


@review_app.command("sample")
@guarded
def review_sample(run_dir: RunArg, json_out: JsonOpt = False) -> None:
    """Draw the spec's `evaluation.review` sample of the final model's outputs into the store."""
    from tuneloop.feedback.review_sample import sample_for_review

    report = sample_for_review(run_dir)
    if json_out:
        emit(report)
        return
    reasons = ", ".join(f"{k} {v}" for k, v in report["by_reason"].items())
    out.print(
        f"drew {report['drawn']} outputs of the {report['split']} split ({reasons}); {report['new_items']} "
        f"new review items, {report['reviewers_per_item']} reviewers each, in {report['store']}",
        highlight=False,
    )


@review_app.command("simulate")
@guarded
def review_simulate(
    run_dir: RunArg,
    seed: Annotated[int, typer.Option(help="Seed of the simulated answers.")] = 0,
    json_out: JsonOpt = False,
) -> None:
    """SIMULATED reviewers answer the run's review items: a demo of the review loop without people."""
    from tuneloop.feedback.review_simulate import simulate_review

    report = simulate_review(run_dir, seed)
    if json_out:
        emit(report)
        return
    people = ", ".join(f"{name} ({r:.0%} reliable)" for name, r in report["reviewers"].items())
    out.print(f"SIMULATED reviewers: {people}", highlight=False)
    out.print(f"{report['submitted']} answers to {report['items']} review items", highlight=False)


@review_app.command("results")
@guarded
def review_results(run_dir: RunArg, json_out: JsonOpt = False) -> None:
    """Read the reviews back: human-judged vs automatic accuracy, their agreement, the reviewers'
    agreement; corrections become candidate rows (RUN/review/candidates.jsonl). Rewrites the
    report and the model card."""
    from tuneloop.feedback.review_results import collect_review_results
    from tuneloop.report.build import build

    results = collect_review_results(run_dir)
    build(run_dir)
    if json_out:
        emit(results)
        return
    if not results["items_reviewed"]:
        out.print(f"none of the {results['items_drawn']} drawn outputs has been reviewed yet")
        return
    simulated = " (SIMULATED reviewers)" if results["simulated"] else ""
    out.print(
        f"{results['items_reviewed']} of {results['items_drawn']} outputs reviewed{simulated}: human-judged "
        f"accuracy {results['human_accuracy']:.1%}, automatic {results['automatic_accuracy']:.1%}; "
        f"kappa human vs automatic {_number(results['kappa_human_automatic'])}, "
        f"reviewers' alpha {_number(results['reviewer_agreement'])}; "
        f"{results['candidates']} corrections kept as candidate rows",
        highlight=False,
    )


def _number(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"
