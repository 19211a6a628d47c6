"""The `tuneloop` command line: each command is one library call, its docstring the help text.

Exit codes (docs/cli.md): 0 success, 1 a check or gate failed, 2 bad usage or bad input,
3 an internal error (a bug: the traceback is printed).
Commands that compute something take `--json` and then print exactly one JSON object on stdout;
progress bars and messages go to stderr.

This module builds the typer `app` (the console script `tuneloop = "tuneloop.cli:app"`) and
registers the commands, one module per kind of work: `project` (init), `check`, `base_models`
(base-model build, import, fetch), `train`, `evaluate`, `report`, `run`, `annotate`, `users`,
`review`, `assist`, `serve`, `serve_model`, `keys`, `feedback`, `monitor`, `next_round`
(`round next`), `simulate` (`annotate simulate`) and `hints` (`annotate hints`); `support`
holds what they share.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tuneloop.cli import (
    annotate,
    assist,
    base_models,
    check,
    evaluate,
    feedback,
    hints,
    keys,
    monitor,
    next_round,
    project,
    report,
    review,
    run,
    serve,
    serve_model,
    simulate,
    train,
    users,
)
from tuneloop.cli.support import JsonUsageErrors

app = typer.Typer(no_args_is_help=True, add_completion=False, cls=JsonUsageErrors)
app.add_typer(base_models.base_model_app, name="base-model")
annotate.annotate_app.command("simulate")(simulate.annotate_simulate)
annotate.annotate_app.command("hints")(hints.hints)
app.add_typer(annotate.annotate_app, name="annotate")
app.add_typer(users.users_app, name="users")
app.add_typer(review.review_app, name="review")
app.add_typer(assist.assist_app, name="assist")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(feedback.feedback_app, name="feedback")
app.add_typer(next_round.round_app, name="round")
for command in (serve.serve, project.init, check.check, train.train, evaluate.evaluate, report.report):
    app.command()(command)
app.command("run")(run.run_command)
app.command("serve-model")(serve_model.serve_model)
app.command("monitor")(monitor.monitor)


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the libraries' own logs and bars.")
    ] = False,
) -> None:
    """Fine-tune an open language model into a reliable model for one task, data quality first."""
    if not verbose:
        _quiet_libraries()


def _quiet_libraries() -> None:
    """datasets, transformers and TRL print bars and warnings of their own; ours say what matters."""
    import warnings

    import datasets
    import transformers

    for module in ("transformers", "trl", "torch"):
        warnings.filterwarnings("ignore", module=module)
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
