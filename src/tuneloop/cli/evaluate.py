"""`tuneloop evaluate`: a model on a data file, or a run's model on the run's splits (with its gates).

The command only picks the mode; each mode is one function. The headline and gate printers are
shared with `tuneloop run`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from tuneloop.cli.support import JsonOpt, emit, err, guarded, out
from tuneloop.errors import CheckFailed, TuneloopError
from tuneloop.verdict import Verdict


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
    data_format: Annotated[
        str | None, typer.Option("--format", help="csv, jsonl, json, parquet, chat, alpaca or sharegpt.")
    ] = None,
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
    if gate and (run is None or model_dir is not None):
        raise TuneloopError("--gate checks a run's own final model: give --run RUN_DIR without MODEL_DIR")
    if run is not None:
        _refuse_with_run(data=data, text_field=text_field, label_field=label_field, data_format=data_format)
        _evaluate_run(run, model_dir, split, out_dir, gate, json_out)
    elif model_dir is not None and data is not None:
        _evaluate_file(model_dir, data, text_field, label_field, data_format, out_dir, json_out)
    else:
        raise TuneloopError("give MODEL_DIR with --data FILE, or --run RUN_DIR")


def _evaluate_run(
    run: Path,
    model_dir: Path | None,
    split: list[str] | None,
    out_dir: Path | None,
    gate: bool,
    json_out: bool,
) -> None:
    """The run's final model (or MODEL_DIR) on the run's splits; with `gate`, exit 1 if a gate fails."""
    from tuneloop.data.split import SPLITS
    from tuneloop.evaluate.run import evaluate_run, headline, run_verdicts
    from tuneloop.run_dir import EVAL_SPLITS, resolve_model_dir
    from tuneloop.spec.recorded import run_spec

    if model_dir is None and out_dir is not None:
        raise TuneloopError("--out-dir goes with MODEL_DIR; the run's own results go to RUN_DIR/eval")
    unknown = sorted(set(split or ()) - set(SPLITS))
    if unknown:
        raise TuneloopError(f"--split {unknown[0]!r}: expected one of {', '.join(SPLITS)}")
    model = resolve_model_dir(model_dir) if model_dir is not None else None
    results = evaluate_run(run, err, tuple(split) if split else EVAL_SPLITS, model, out_dir)
    chosen = run_spec(run).evaluation.metrics
    payload: dict[str, Any] = {"run_dir": str(run), **{k: headline(v, chosen) for k, v in results.items()}}
    verdicts: list[Verdict] = run_verdicts(run) if gate else []
    if gate:
        payload["gates"] = [v.to_dict() for v in verdicts]
    if json_out:
        emit(payload)
    else:
        for name in results:
            print_headline(name, payload[name])
        print_verdicts(verdicts)
    failed = [v for v in verdicts if not v.passed]
    if failed:
        raise CheckFailed(
            f"{len(failed)} of {len(verdicts)} evaluation gate verdicts failed: {_listed(failed)}"
        )


def _evaluate_file(
    model_dir: Path,
    data: Path,
    text_field: str | None,
    label_field: str | None,
    data_format: str | None,
    out_dir: Path | None,
    json_out: bool,
) -> None:
    """MODEL_DIR on one data file, read with the model's task card (or the fields given)."""
    from tuneloop.evaluate.run import headline
    from tuneloop.evaluate.runner import evaluate_file
    from tuneloop.run_dir import resolve_model_dir

    model = resolve_model_dir(model_dir)
    payload = evaluate_file(model, data, text_field, label_field, data_format, out_dir, console=err)
    if json_out:
        emit(payload)
    else:
        print_headline(str(data), headline(payload, list(payload["ci"])))  # the task's judged metrics


def _refuse_with_run(**options: Any) -> None:
    given = [name.replace("_", "-") for name, value in options.items() if value is not None]
    if given:
        raise TuneloopError(
            f"--{given[0]} applies to --data FILE, not to --run (which uses the run's splits)"
        )


def _listed(verdicts: list[Verdict]) -> str:
    return "; ".join(f"{v.gate} [{v.scope}] {v.detail}" for v in verdicts)


def print_headline(name: str, m: dict[str, Any]) -> None:
    """One line of a split's (or file's) headline metrics, one per baseline, and the collapse alarm."""
    numbers = ", ".join(
        f"{k} {v:.4f}" for k, v in m.items() if k not in ("n", "invalid_rate", "baselines", "collapse")
    )
    out.print(f"{name}: {numbers} (n={m['n']}, invalid outputs {m['invalid_rate']:.2%})", highlight=False)
    for baseline, b in (m.get("baselines") or {}).items():
        out.print(
            f"  baseline {baseline}: " + ", ".join(f"{k} {v:.4f}" for k, v in b.items()), highlight=False
        )
    for reason in (m.get("collapse") or {}).get("reasons", []):
        out.print(f"  [bold red]COLLAPSE ALARM[/]: {escape(reason)}", highlight=False)


def print_verdicts(verdicts: list[Verdict]) -> None:
    """One line per evaluation gate verdict, FAILED in red."""
    for v in verdicts:
        mark = "[green]passed[/]" if v.passed else "[bold red]FAILED[/]"
        where = escape(f"[{v.scope}]")
        out.print(f"gate {escape(v.gate)} {where}: {mark} — {escape(v.detail)}", highlight=False)
