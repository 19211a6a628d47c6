"""The `tuneloop` command line: each command is one library call, its docstring the help text.

Exit codes (docs/cli.md): 0 success, 1 a check or gate failed, 2 bad usage or bad input,
3 an internal error (a bug: the traceback is printed).
Commands that compute something take `--json` and then print exactly one JSON object on stdout;
progress bars and messages go to stderr.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from tuneloop.cli_annotate import annotate_app, users_app
from tuneloop.cli_review import review_app
from tuneloop.cli_serve import serve
from tuneloop.cli_support import JsonOpt, ProjectArg, emit, err, guarded, out
from tuneloop.errors import CheckFailed, TuneloopError
from tuneloop.evaluate.verdicts import GateVerdict

app = typer.Typer(no_args_is_help=True, add_completion=False)
base_model_app = typer.Typer(no_args_is_help=True, help="Build or inspect the base model.")
app.add_typer(base_model_app, name="base-model")
app.add_typer(annotate_app, name="annotate")
app.add_typer(users_app, name="users")
app.add_typer(review_app, name="review")
app.command("serve")(serve)


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


def _examples_root() -> Path:
    packaged = Path(str(files("tuneloop"))) / "_examples"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "examples"


@app.command()
@guarded
def init(
    directory: Annotated[
        Path, typer.Argument(help="Where to create the project (must not exist or be empty).")
    ],
    example: Annotated[
        str | None, typer.Option(help="Copy a runnable example project, e.g. banking77.")
    ] = None,
) -> None:
    """Create a project: a runnable example, or a commented skeleton of tuneloop.yaml."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise TuneloopError(f"{directory}: exists and is not an empty directory; choose a new directory")
    if example is None:
        source = _examples_root() / "skeleton"
    else:
        source = _examples_root() / example
        if not (source / "tuneloop.yaml").is_file():
            known = sorted(p.name for p in _examples_root().iterdir() if (p / "tuneloop.yaml").is_file())
            raise TuneloopError(f"unknown example {example!r}; known: {', '.join(known)}")
    shutil.copytree(
        source, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("runs", "__pycache__")
    )
    err.print(f"created {directory} from {'example ' + example if example else 'the skeleton'}")


@app.command()
@guarded
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="A project directory (default: .), or data files to check on their own."),
    ] = None,
    spec_dir: Annotated[
        Path | None,
        typer.Option("--spec", help="With FILES: labels, tokenizer and quality settings from this project."),
    ] = None,
    engine: Annotated[str, typer.Option(help="local, or ray (pip install 'tuneloop[ray]').")] = "local",
    json_out: JsonOpt = False,
) -> None:
    """Check the data before training (docs/checks.md); exit 1 if any row has an error.

    With a project: every source, read and split as a run would. With FILES: each file on its own,
    its format and fields inferred (chat JSONL, or CSV/JSONL/Parquet with text and label columns).
    """
    from tuneloop.data.check import FINDINGS_LISTED, check_data, check_files
    from tuneloop.spec import load_spec

    given = paths or [Path(".")]
    if len(given) == 1 and given[0].is_dir():
        if spec_dir is not None:
            raise TuneloopError("--spec goes with data files; a project directory brings its own spec")
        report = check_data(load_spec(given[0]), engine=engine)
    else:
        report = check_files(given, load_spec(spec_dir) if spec_dir else None, engine=engine)
    if json_out:
        emit(report)
    else:
        counts = report["counts"]
        out.print(f"read {counts['read']} rows: kept {counts['kept']}, quarantined {counts['quarantined']}")
        out.print(f"splits: {counts['splits']}")
        by_code = report["findings_summary"]["by_code"]
        if by_code:
            out.print("findings: " + ", ".join(f"{code} {n}" for code, n in by_code.items()), highlight=False)
        for finding in report["findings"][:FINDINGS_LISTED]:
            out.print(
                f"  {finding['severity']}: {finding['file']}:{finding['line']} [{finding['code']}] "
                f"{finding['message']}",
                highlight=False,
                markup=False,
            )
        hidden = report["findings_summary"]["total"] - min(len(report["findings"]), FINDINGS_LISTED)
        if hidden > 0:
            out.print(f"  … and {hidden} more (all of them with --json, or in a run's data/manifest.json)")
        if report.get("labels_without_examples"):
            out.print(f"labels without examples: {', '.join(report['labels_without_examples'])}")
    if not report["ok"]:
        errors = report["findings_summary"]["by_severity"].get("error", 0)
        raise CheckFailed(f"{errors} row(s) cannot be used; they would be quarantined (see the findings)")


@base_model_app.command("build")
@guarded
def base_model_build(
    project: ProjectArg = Path("."),
    force: Annotated[bool, typer.Option(help="Rebuild even when an up-to-date model exists.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Build the tiny base model (tokenizer + Llama-style model) the spec asks for with `build: tiny`."""
    from tuneloop.pipeline import ensure_base_model
    from tuneloop.spec import load_spec

    spec = load_spec(project)
    path, built = ensure_base_model(spec, force=force)
    if json_out:
        emit({"base_model": path, "built": built})
    else:
        state = "built now" if built else "up to date" if spec.model.build else "as given"
        out.print(f"base model: {path} ({state})")


@app.command()
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
    from tuneloop.pipeline import latest_unfinished_run, read_run, resume_run, start_run, train_run
    from tuneloop.spec import load_spec

    spec = load_spec(project)
    console = _process_console()
    if resume:
        run_dir = latest_unfinished_run(spec)
        resume_run(run_dir, console)
    else:
        run_dir = start_run(spec, console)
        train_run(spec, run_dir, console)
    if not is_main():
        return
    record = read_run(run_dir)
    if json_out:
        emit({"run_dir": str(run_dir), "final_model": record["final_model"], "phases": record["phases"]})
    else:
        out.print(f"trained: {record['final_model']}")


@app.command()
@guarded
def evaluate(
    model_dir: Annotated[
        Path | None, typer.Argument(help="A model directory saved by tuneloop, or a run directory.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="CSV, JSONL or Parquet file to evaluate on.")] = None,
    text_field: Annotated[
        str | None, typer.Option(help="Column holding the text (default: as trained).")
    ] = None,
    label_field: Annotated[
        str | None, typer.Option(help="Column holding the label (default: as trained).")
    ] = None,
    data_format: Annotated[str | None, typer.Option("--format", help="csv, jsonl, parquet or chat.")] = None,
    run: Annotated[
        Path | None,
        typer.Option(help="A run directory: evaluate on its splits (its final model by default)."),
    ] = None,
    split: Annotated[
        list[str] | None, typer.Option(help="With --run: the split(s) to evaluate (validation, test, train).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option(help="Write predictions.jsonl and metrics.json here.")
    ] = None,
    gate: Annotated[
        bool,
        typer.Option("--gate", help="With --run: check the spec's evaluation gates; exit 1 if any fails."),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Evaluate a model on a data file (MODEL_DIR --data FILE) or on a run's splits (--run RUN_DIR).

    With --run, the final model is also compared with the base model, each earlier phase and the
    previous round on the gated split (paired tests, Holm-adjusted)."""
    from tuneloop.data.split import SPLITS
    from tuneloop.evaluate.runner import evaluate_file
    from tuneloop.pipeline import (
        EVAL_SPLITS,
        evaluate_run,
        headline,
        resolve_model_dir,
        run_spec,
        run_verdicts,
    )
    from tuneloop.spec import Evaluation

    if gate and (run is None or model_dir is not None):
        raise TuneloopError("--gate checks a run's own final model: give --run RUN_DIR without MODEL_DIR")
    verdicts: list[GateVerdict] = []
    if run is not None:
        _refuse_with_run(data=data, text_field=text_field, label_field=label_field, data_format=data_format)
        if model_dir is None and out_dir is not None:
            raise TuneloopError("--out-dir goes with MODEL_DIR; the run's own results go to RUN_DIR/eval")
        unknown = sorted(set(split or ()) - set(SPLITS))
        if unknown:
            raise TuneloopError(f"--split {unknown[0]!r}: expected one of {', '.join(SPLITS)}")
        model = resolve_model_dir(model_dir) if model_dir is not None else None
        results = evaluate_run(run, err, tuple(split) if split else EVAL_SPLITS, model, out_dir)
        chosen = run_spec(run).evaluation.metrics
        payload: dict[str, Any] = {
            "run_dir": str(run),
            **{k: headline(v, chosen) for k, v in results.items()},
        }
        if gate:
            verdicts = run_verdicts(run)
            payload["gates"] = [v.to_dict() for v in verdicts]
    elif model_dir is not None and data is not None:
        model = resolve_model_dir(model_dir)
        payload = evaluate_file(model, data, text_field, label_field, data_format, out_dir, console=err)
    else:
        raise TuneloopError("give MODEL_DIR with --data FILE, or --run RUN_DIR")
    if json_out:
        emit(payload)
    elif run is not None:
        for name in results:
            _print_headline(name, payload[name])
        _print_verdicts(verdicts)
    else:
        _print_headline(str(data), headline(payload, Evaluation().metrics))
    failed = [v for v in verdicts if not v.passed]
    if failed:
        raise CheckFailed(
            f"{len(failed)} of {len(verdicts)} evaluation gate verdicts failed: {_listed(failed)}"
        )


def _print_verdicts(verdicts: list[GateVerdict]) -> None:
    for v in verdicts:
        mark = "[green]passed[/]" if v.passed else "[bold red]FAILED[/]"
        where = escape(f"[{v.scope}]")
        out.print(f"gate {escape(v.gate)} {where}: {mark} — {escape(v.detail)}", highlight=False)


def _listed(verdicts: list[GateVerdict]) -> str:
    return "; ".join(f"{v.gate} [{v.scope}] {v.detail}" for v in verdicts)


def _refuse_with_run(**options: Any) -> None:
    given = [name.replace("_", "-") for name, value in options.items() if value is not None]
    if given:
        raise TuneloopError(
            f"--{given[0]} applies to --data FILE, not to --run (which uses the run's splits)"
        )


def _process_console() -> Console:
    """stderr for the one process of a plain run, or the main one of `accelerate launch`; the
    other processes train in silence, so the output reads as one run."""
    from tuneloop.distributed import is_main

    return err if is_main() else Console(quiet=True)


def _print_headline(name: str, m: dict[str, Any]) -> None:
    numbers = ", ".join(f"{k} {v:.4f}" for k, v in m.items() if k not in ("n", "invalid_rate"))
    out.print(f"{name}: {numbers} (n={m['n']}, invalid outputs {m['invalid_rate']:.2%})", highlight=False)


@app.command()
@guarded
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")], json_out: JsonOpt = False
) -> None:
    """Write report.html and MODEL_CARD.md for a run: spec, data, loss curves, per-class recall,
    confusion, slices with intervals, comparisons, gates."""
    from tuneloop.evaluate.model_card import write_model_card
    from tuneloop.report.html import build_report

    path, card = build_report(run_dir), write_model_card(run_dir)
    if json_out:
        emit({"report": str(path), "model_card": str(card)})
    else:
        out.print(f"report: {path}")
        out.print(f"model card: {card}")


@app.command("run")
@guarded
def run_command(project: ProjectArg = Path("."), json_out: JsonOpt = False) -> None:
    """Run one round end to end: data, base model, every phase, evaluation and the report."""
    from tuneloop.distributed import is_main
    from tuneloop.pipeline import read_run
    from tuneloop.round import run_round
    from tuneloop.spec import load_spec
    from tuneloop.train.phases import GateFailed

    try:
        run_dir, report_path = run_round(load_spec(project), _process_console())
    except GateFailed as exc:
        if json_out and exc.run_dir is not None and is_main():  # a stopped round still answers in JSON
            record = read_run(exc.run_dir)
            emit(
                {
                    "run_dir": str(exc.run_dir),
                    "report": str(exc.report),
                    "status": record["status"],
                    "phases": record.get("phases", []),
                    **record.get("evaluation", {}),
                    "gates": record.get("evaluation_gates", []),
                }
            )
        raise
    if not is_main():
        return
    record = read_run(run_dir)
    if json_out:
        emit(
            {
                "run_dir": str(run_dir),
                "model": record["final_model"],
                "report": str(report_path),
                **record["evaluation"],
                "gates": record.get("evaluation_gates", []),
            }
        )
        return
    for split, m in record["evaluation"].items():
        _print_headline(split, m)
    _print_verdicts([GateVerdict(**v) for v in record.get("evaluation_gates", [])])
    out.print(f"model: {record['final_model']}", highlight=False)
    out.print(f"report: {report_path}", highlight=False)
